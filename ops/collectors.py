"""The collectors' EventBridge schedule rules, named by the Service stack's `CollectorRuleNames`."""

from __future__ import annotations

import functools

from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import error_code
from ops.results import Report
from stacks.contract import names

MISSING = "MISSING"


def rule_names(outputs: StackOutputs) -> list[str]:
    """The rule names from the Service stack; none when the output is absent (parked, none)."""
    value = outputs.of_stack(names.SERVICE).get(names.Outputs.COLLECTOR_RULE_NAMES, "")
    return [name for name in value.split(",") if name]


def states(aws: Aws, rules: list[str]) -> dict[str, str]:
    """`{rule name: ENABLED | DISABLED | MISSING}`, one DescribeRule each."""
    from botocore.exceptions import ClientError

    events = aws.client("events")
    found: dict[str, str] = {}
    for name in rules:
        try:
            found[name] = events.describe_rule(Name=name)["State"]
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            found[name] = MISSING
    return found


def is_enabled(state: str) -> bool:
    """True for a rule that starts its tasks (ENABLED or one of its variants)."""
    return state.startswith("ENABLED")


def enabled_map(aws: Aws, outputs: StackOutputs) -> dict[str, bool]:
    """`{rule name: enabled}` for the deployed rules, what `ops scale --to 0` saves."""
    found = states(aws, rule_names(outputs))
    return {name: is_enabled(state) for name, state in found.items() if state != MISSING}


def set_enabled(aws: Aws, name: str, *, enabled: bool, dry_run: bool) -> str:
    """Enable or disable one rule (a no-op when it already is); returns what happened."""
    state = states(aws, [name])[name]
    if state == MISSING:
        return "not deployed; nothing to change"
    if is_enabled(state) == enabled:
        return f"already {state}"
    if dry_run:
        return f"{state} now"
    events = aws.client("events")
    (events.enable_rule if enabled else events.disable_rule)(Name=name)
    return "ENABLED" if enabled else "DISABLED"


def steps(
    aws: Aws, saved: dict[str, bool] | None, report: Report, *, restore: bool, dry_run: bool
) -> None:
    """To 0: disable each rule saved as enabled. Restore: put every saved rule back as it was, so
    a rule that a redeploy (`ops unpark`) recreated enabled is paused again. One step each; none
    for a state saved before the rules were recorded."""
    rules = saved or {}
    for name in sorted(rules):
        if not restore and not rules[name]:
            continue  # paused before scaling to zero: left alone
        enabled = restore and rules[name]
        report.attempt(
            f"collector rule {name}",
            ("would " if dry_run else "") + ("enable" if enabled else "disable"),
            functools.partial(set_enabled, aws, name, enabled=enabled, dry_run=dry_run),
        )
