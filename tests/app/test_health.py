"""Liveness needs nothing; readiness checks PostgreSQL and Redis for real."""

from __future__ import annotations


def test_health_check_is_true_and_not_rate_limited(api) -> None:
    for _ in range(3):
        resp = api.get("/utils/health-check/")
        assert resp.status_code == 200
        assert resp.json() is True
        assert "x-ratelimit-limit" not in resp.headers


def test_ready_when_postgres_and_redis_answer(api) -> None:
    resp = api.get("/utils/ready")
    assert resp.status_code == 200
    assert resp.json()["checks"] == {"postgres": "ok", "redis": "ok"}


def test_ready_is_503_without_redis_and_health_stays_up(isolated_backend) -> None:
    import httpx

    backend = isolated_backend
    with httpx.Client(base_url=f"{backend.url}/api/v1", timeout=30) as api:
        assert api.get("/utils/ready").status_code == 200
        backend.redis("stop")
        try:
            resp = api.get("/utils/ready")
            assert resp.status_code == 503
            body = resp.json()
            assert body["status"] == "unavailable"
            assert body["checks"]["postgres"] == "ok"
            assert body["checks"]["redis"].startswith("error")
            assert api.get("/utils/health-check/").status_code == 200
        finally:
            backend.redis("start")
        assert api.get("/utils/ready").status_code == 200


def test_docs_and_openapi_are_served(api, server) -> None:
    import httpx

    spec = httpx.get(f"{server}/openapi.json", timeout=10)
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ("/api/v1/news/", "/api/v1/smart-money/flows", "/api/v1/pnl/summary"):
        assert path in paths
    assert "x-ratelimit-limit" not in spec.headers
