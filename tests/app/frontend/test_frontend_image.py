"""The frontend image matches the stacks' contract: port, health path, pinned base, non-root."""

from __future__ import annotations

import re
from pathlib import Path

from stacks.contract import names

ROOT = Path(__file__).resolve().parents[3]

FRONTEND = ROOT / "app_src" / "frontend"
DOCKERFILE = (FRONTEND / "Dockerfile").read_text()
NGINX = (FRONTEND / "nginx.conf").read_text()


def instructions(keyword: str) -> list[str]:
    return re.findall(rf"^{keyword}\s+(.+)$", DOCKERFILE, flags=re.MULTILINE)


def test_the_base_image_is_pinned_to_an_exact_unprivileged_tag():
    (base,) = instructions("FROM")
    image, _, tag = base.partition(":")
    assert image == "nginxinc/nginx-unprivileged"
    assert re.fullmatch(r"\d+\.\d+\.\d+-alpine@sha256:[0-9a-f]{64}", tag), tag


def test_the_image_runs_as_a_non_root_user_that_may_bind_port_80():
    assert instructions("USER")[-1] not in ("root", "0")
    assert "setcap 'cap_net_bind_service=+ep' /usr/sbin/nginx" in DOCKERFILE
    assert instructions("EXPOSE") == [str(names.FRONTEND_PORT)]
    assert re.search(rf"^\s*listen {names.FRONTEND_PORT};$", NGINX, flags=re.MULTILINE)


def test_the_health_path_the_target_group_checks_answers_200():
    assert f"location = {names.FRONTEND_HEALTH_PATH} {{" in NGINX
    block = NGINX.split(f"location = {names.FRONTEND_HEALTH_PATH} {{", 1)[1].split("}", 1)[0]
    assert "return 200" in block
    (healthcheck,) = instructions("HEALTHCHECK")
    assert f"http://127.0.0.1{names.FRONTEND_HEALTH_PATH}" in DOCKERFILE
    assert "--interval" in healthcheck


def test_every_file_the_page_loads_is_in_the_image():
    index = (FRONTEND / "static" / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', index)
    assert assets, "index.html loads no assets"
    for asset in assets:
        assert (FRONTEND / "static" / asset.lstrip("/")).is_file(), asset
    assert "COPY --chown=root:root static/ /usr/share/nginx/html/" in DOCKERFILE
