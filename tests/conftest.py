"""Set-up shared by every test directory (keep it small; fixtures live beside their tests).

Tiers: every test is marked with the tier of its directory (TIERS; the markers are registered in
pyproject.toml), so `pytest -m unit` selects the tests that need no server; tests that synthesize
with the CDK are also marked `synth` (SYNTH, or the mark in the test file), and
`make test-fast` runs `-m "unit and not synth"`. A `-m` run does not even collect a directory
whose tier the expression leaves out, since the app tests' conftest starts PostgreSQL and Redis
when it is imported.

Parallel runs (pytest-xdist, `-n`): the scheduler below sends each test module whole to one
worker, so a module's fixtures run once; the directories in ONE_GROUP share costly session
fixtures (a CDK deploy into the local AWS, a browser and its backend), so each goes whole to a
single worker; a module in BY_PARAMETER is split instead, one group per parameter id (its costly
fixture is computed per parameter, on first use). The groups start longest first (HEAVY_FIRST,
measured), the rest in collection order, so that no worker is left with a long tail.
(xdist's own `--dist loadgroup` cannot be used: it renames test ids in a way pytest 9 ignores.)
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

from stacks.node_runtime import quiet_jsii

quiet_jsii()  # tests that import aws_cdk directly start jsii's Node before cdk_app or stacks would

TESTS = Path(__file__).resolve().parent
# Directory (relative to tests/) -> tier; the most specific directory wins; the default is unit.
TIERS = {
    "app": "services",  # the backend on real PostgreSQL and Redis
    "app/frontend": "browser",  # the dashboard in headless Chromium (and nginx)
    "localaws": "services",  # the local AWS server on loopback
    "e2e": "e2e",  # the `local` env synthesized by the CDK CLI and deployed into the local AWS
}
DEFAULT_TIER = "unit"
TIER_NAMES = frozenset({*TIERS.values(), DEFAULT_TIER})
# Directories or files whose every test synthesizes with the CDK (slow; not in `make test-fast`).
SYNTH = ("stacks", "e2e")
ONE_GROUP = ("e2e", "app/frontend")
BY_PARAMETER = ("stacks/test_validation.py",)  # each env's full validation on its own
# Scheduled first, longest first (seconds per group in two whole runs on a busy machine, from
# `--durations=0`); the rest keeps collection order.
HEAVY_FIRST = (
    "e2e",  # 55, 45
    "ops/test_cost.py",  # 33, 32
    "app/test_api_fuzz.py",  # 21, 31
    "stacks/test_rds_guard.py",  # 35, 20 (the first CDK app of its worker)
    "app/test_input_validation.py",  # 34, 20
    "app/frontend",  # 30, 28
    "stacks/test_validation.py",  # per env 8-18, the rest 19
    "ops/test_scale_properties.py",  # 13, 28 (one test)
    "stacks/test_checkov.py",  # 27, 20
    "ops/test_ops_scale.py",  # 25, 22
    "app/test_db_rotation.py",  # 21, 21
    "app/test_ratelimit.py",  # 19, 19
    "ops/test_cost_scheduled.py",  # 19, 18
    "stacks/test_parked.py",  # 15, 13
    "app/collect/test_collect_main.py",  # 12, 14
)


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(TESTS).as_posix()
    except ValueError:
        return ""


def _longest_prefix(relative: str, prefixes: tuple[str, ...]) -> str | None:
    matches = [p for p in prefixes if relative == p or relative.startswith(p + "/")]
    return max(matches, key=len) if matches else None


def tier_of(path: Path) -> str:
    """The tier of a test file or directory."""
    prefix = _longest_prefix(_relative(path), tuple(TIERS))
    return TIERS[prefix] if prefix else DEFAULT_TIER


def group_of(path: Path, test: str = "") -> str:
    """The xdist group of a test (`test`: its name in the file, with any parameter id): its
    ONE_GROUP directory, else its module, and in a BY_PARAMETER module its parameter id too."""
    relative = _relative(path)
    group = _longest_prefix(relative, ONE_GROUP) or relative
    _name, bracket, parameter = test.partition("[")
    return group + bracket + parameter if relative in BY_PARAMETER else group


def _tier_may_match(expression: str, tier: str) -> bool:
    """False only when no test of `tier` can match the `-m` expression, whatever its other marks
    (pytest's own expression language; anything it cannot compile counts as a possible match)."""
    from _pytest.mark.expression import Expression

    try:
        compiled = Expression.compile(expression)
    except SyntaxError:
        return True
    for others in (False, True):  # every non-tier mark absent, then present

        def matcher(name: str, /, **kwargs: str | int | bool | None) -> bool:
            return name == tier or (others and name not in TIER_NAMES)  # noqa: B023

        if compiled.evaluate(matcher):
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip a directory whose tiers the `-m` expression leaves out (its conftest starts servers)."""
    expression = str(config.getoption("markexpr") or "")
    if not expression or not collection_path.is_dir() or collection_path == TESTS:
        return None
    relative = _relative(collection_path)
    tiers_inside = {tier_of(collection_path)} | {
        tier for directory, tier in TIERS.items() if directory.startswith(relative + "/")
    }
    return None if any(_tier_may_match(expression, t) for t in tiers_inside) else True


def _priority(item: pytest.Item) -> int:
    heavy = _longest_prefix(_relative(item.path), HEAVY_FIRST)
    return HEAVY_FIRST.index(heavy) if heavy else len(HEAVY_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with its tier (and `synth` under SYNTH); heaviest groups first."""
    for item in items:
        item.add_marker(getattr(pytest.mark, tier_of(item.path)))
        if _longest_prefix(_relative(item.path), SYNTH):
            item.add_marker(pytest.mark.synth)
    items.sort(key=_priority)  # stable: collection order within a priority


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's scope scheduler, with a scope = `group_of` the test, in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    root = Path(config.rootpath)
    # xdist would otherwise sort the scopes by their number of tests, not by their duration.
    config.option.loadscopereorder = False

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path, _sep, test = nodeid.partition("::")
            return group_of(root / path, test)

    return GroupScheduling(config, log)


_STARTED = time.monotonic()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """One line with the wall time of the run and its parallelism (what `make test` measures)."""
    workers = getattr(config.option, "numprocesses", None) or 0
    mode = f"{workers} xdist workers" if workers else "no xdist"
    selection = config.option.markexpr or "every tier"
    seconds = time.monotonic() - _STARTED
    terminalreporter.write_line(f"wall time: {seconds:.0f} s ({mode}; {selection})")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's cycle collector tuned for a test run (tests stay as they are, only faster).

    Everything imported and collected so far lives until the end: frozen, no full collection
    walks it again. The tests then allocate many short-lived cycles (moto's backends, botocore's
    models, the CDK's trees): a full collection every 20,000 net allocations instead of 700 finds
    the same garbage, a few times less often (the ops tests: a third less wall time).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
