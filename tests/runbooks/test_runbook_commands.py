"""Every `ops ...` command a runbook cites exists in the click command tree with those options."""

from __future__ import annotations

import shlex

import click
import pytest
from runbook_cmdlines import check_command, cited_commands

from ops.cli import cli
from ops.runbooks.library import INDEX, RUNBOOK_DIR, runbook_paths

MARKDOWN = [*runbook_paths(), RUNBOOK_DIR / INDEX]


def _all_cited() -> list:
    found = []
    for path in MARKDOWN:
        found += cited_commands(path.read_text(encoding="utf-8"), program="ops", source=path.name)
    return found


def test_runbooks_cite_ops_commands() -> None:
    cited = _all_cited()
    cited_roots = {shlex.split(c.text)[1] for c in cited}
    # The runbooks lean on the daily commands: a parser that found nothing would pass vacuously.
    assert {"status", "scale", "rds", "alarms", "secrets", "smoke", "incident"} <= cited_roots
    assert sum(c.in_block for c in cited) >= 50


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.name)
def test_every_cited_command_exists_with_its_options(path) -> None:
    problems = []
    text = path.read_text(encoding="utf-8")
    for cited in cited_commands(text, program="ops", source=path.name):
        for problem in check_command(cli, shlex.split(cited.text)):
            problems.append(f"{cited.source}:{cited.line}: {cited.text}: {problem}")
    assert not problems, "\n".join(problems)


# The checker itself, on a small tree: each kind of mistake is caught.
@click.group()
@click.option("--profile")
def _root(profile: str | None) -> None:
    """Root."""


@_root.group()
def _things() -> None:
    """Group."""


@_things.command("stop")
@click.argument("name")
@click.option("--env", required=True)
@click.option("--state", type=click.Choice(["running", "all"]))
@click.option("--wait/--no-wait", default=True)
@click.option("--yes", is_flag=True)
def _stop(name: str, env: str, state: str | None, wait: bool, yes: bool) -> None:
    """Command."""


_root.add_command(_things, "things")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('ops things stop web --env "$ENV" --state all --no-wait --yes', None),
        ("ops --profile p things stop web --env=prod", None),
        ("ops things halt web", "has no command 'halt'"),
        ("ops things stop web --force", "has no option --force"),
        ("ops things stop web --env prod --state sometimes", "bad value 'sometimes'"),
        ("ops things stop web --yes=1", "takes no value"),
        ("ops things stop web other", "takes no argument 'other'"),
        ("ops things", "needs a subcommand"),
        ("ops things stop web --env", "needs a value"),
        ("ops things --env prod stop web", "has no option --env"),
    ],
)
def test_checker_catches_each_kind_of_mistake(line: str, expected: str | None) -> None:
    problems = check_command(_root, shlex.split(line))
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_command_lines_are_found_in_blocks_pipes_and_inline_code() -> None:
    text = "\n".join(
        [
            "Run `ops status --env x` first; `ops` alone is prose.",
            "```sh",
            "ENV=staging",
            'openssl rand -hex 32 | ops secrets set SECRET_KEY --env "$ENV"',
            'ops scale --env "$ENV" \\',
            '  --to 0 --yes && ops status --env "$ENV"',
            "```",
        ]
    )
    cited = cited_commands(text, program="ops", source="t.md")
    assert [(c.line, c.text, c.in_block) for c in cited] == [
        (4, "ops secrets set SECRET_KEY --env '$ENV'", True),
        (5, "ops scale --env '$ENV' --to 0 --yes", True),
        (5, "ops status --env '$ENV'", True),
        (1, "ops status --env x", False),
    ]
