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


def test_without_postgres_liveness_passes_and_readiness_fails(tmp_path) -> None:
    """A backend whose database port is closed: alive (no I/O), not ready (503 names postgres)."""
    import httpx
    from backend_testenv import backend_process, free_port

    from stacks.contract.names import BACKEND_HEALTH_PATH  # what the target group checks

    overrides = {"POSTGRES_PORT": str(free_port())}
    with backend_process(overrides, tmp_path / "backend.log") as url:
        assert httpx.get(f"{url}{BACKEND_HEALTH_PATH}", timeout=10).json() is True
        resp = httpx.get(f"{url}/api/v1/utils/ready", timeout=10)
        assert resp.status_code == 503
        checks = resp.json()["checks"]
        assert checks["redis"] == "ok"
        assert checks["postgres"].startswith("error")
