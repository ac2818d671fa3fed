"""The database connection budget: its arithmetic, the config it refuses, the runbook's copy."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import yaml

from cdk_app.config import ENVIRONMENTS_DIR, ConfigError, known_envs, load
from stacks.contract import connections

ROOT = Path(__file__).resolve().parents[2]
DB_MODULE = ROOT / "app_src" / "backend" / "app" / "core" / "db.py"


@pytest.fixture()
def env_dir(tmp_path: Path) -> Path:
    target = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, target)
    return target


def _edit_backend(path: Path, **values: int) -> None:
    data = yaml.safe_load(path.read_text())
    data["services"]["backend"].update(values)
    path.write_text(yaml.safe_dump(data))


def test_max_connections_follows_the_rds_formula() -> None:
    assert connections.max_connections("db.t3.micro") == 112
    assert connections.max_connections("db.t3.small") == 225
    assert connections.max_connections("db.r7g.large") == 1802
    with pytest.raises(KeyError):
        connections.max_connections("db.x9.huge")


def test_worst_case_counts_tasks_processes_pools_collectors_and_reserve() -> None:
    need = connections.budget(
        instance_class="db.t3.small", backend_cpu=2048, backend_max_tasks=2, collectors=3
    )
    assert need.processes_per_task == 2
    assert need.worst_case == 2 * 2 * (20 + 10) + 3 * 2 + 10
    assert need.limit == int(225 * 0.8)
    assert need.fits


def test_every_shipped_env_fits_and_production_at_its_maximum() -> None:
    for env in known_envs():
        need = load(env).connection_budget()
        assert need.fits, need.explain()
    production = load("production")
    need = production.connection_budget()
    assert need.backend_tasks == production.services["backend"].max_tasks
    assert need.collectors == len(production.collectors)


def test_a_config_over_budget_is_refused_naming_the_keys(env_dir: Path) -> None:
    # 4 vCPUs = 4 processes per task: 2 tasks x 4 x 30 + collectors + reserve > 180.
    _edit_backend(env_dir / "staging.yaml", cpu=4096, memory_mib=8192, max_tasks=2)
    with pytest.raises(ConfigError) as error:
        load("staging", directory=env_dir)
    assert error.value.key == "services.backend.max_tasks"
    message = str(error.value)
    assert "2 tasks x 4 processes x 30" in message and "over 180" in message
    for key in ("services.backend.cpu", "rds.instance_class", "collectors"):
        assert key in message


def test_one_more_task_tips_production_over(env_dir: Path) -> None:
    _edit_backend(env_dir / "production.yaml", max_tasks=6)
    with pytest.raises(ConfigError, match=r"production\.yaml: services\.backend\.max_tasks: "):
        load("production", directory=env_dir)


def test_the_runbook_table_is_generated_from_this_source() -> None:
    text = connections.RUNBOOK.read_text(encoding="utf-8")
    table = connections.shipped_table()
    assert table in text, "stale: run `python -m stacks.contract.connections`"
    production = load("production").connection_budget()
    assert "| production | db.t3.small | 225 | 180 | 5 x 1 x 30 = 150 |" in table
    assert str(production.worst_case) in table
    assert "20 per\ntask" not in text and "(120 at a maximum of 6)" not in text
    with pytest.raises(ValueError, match="no generated block"):
        connections.with_table("no block here", table)


def _pool_sizes() -> dict[str, int]:
    """The pool numbers written in the backend's db.py (read, not imported: it needs settings)."""
    tree = ast.parse(DB_MODULE.read_text(encoding="utf-8"))
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "create_engine":
            for keyword in node.keywords:
                if isinstance(keyword.value, ast.Constant):
                    found[f"sync.{keyword.arg}"] = keyword.value.value
    return found


def test_the_budget_counts_the_pools_the_backend_opens() -> None:
    pools = _pool_sizes()
    assert pools["sync.pool_size"] + pools["sync.max_overflow"] == connections.SYNC_POOL
    assert pools["ASYNC_POOL_SIZE"] == connections.ASYNC_POOL
