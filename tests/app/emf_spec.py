"""The CloudWatch embedded metric format specification, as a checker for emitted log lines.

From the specification: the root node carries `_aws` with an integer millisecond `Timestamp` and
`CloudWatchMetrics`, an array of metric directives; each directive has a `Namespace` (1-255
characters), `Dimensions` (an array of dimension sets, each an array of at most 30 member names)
and `Metrics` (at most 100 definitions, each a `Name` of 1-255 characters with an optional `Unit`
from CloudWatch's list and an optional `StorageResolution` of 1 or 60). Every dimension name must be
a root member holding a string; every metric name a root member holding a number or an array of at
most 100 numbers.
"""

from __future__ import annotations

import json
from typing import Any

UNITS = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
        "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
        "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
        "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
        "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)  # fmt: skip


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def problems(event: Any) -> list[str]:
    """What makes `event` (a parsed log line) invalid EMF; empty when it is valid."""
    if not isinstance(event, dict):
        return ["the root node is not an object"]
    meta = event.get("_aws")
    if not isinstance(meta, dict):
        return ["no `_aws` object"]
    found: list[str] = []
    if not isinstance(meta.get("Timestamp"), int) or isinstance(meta.get("Timestamp"), bool):
        found.append("`_aws.Timestamp` is not an integer of milliseconds")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*found, "`_aws.CloudWatchMetrics` is not a non-empty array"]
    for directive in directives:
        found += _directive_problems(event, directive)
    return found


def _directive_problems(event: dict[str, Any], directive: Any) -> list[str]:
    if not isinstance(directive, dict):
        return ["a metric directive is not an object"]
    found: list[str] = []
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
        found.append("`Namespace` is not a string of 1-255 characters")
    dimension_sets = directive.get("Dimensions")
    if not isinstance(dimension_sets, list):
        found.append("`Dimensions` is not an array")
        dimension_sets = []
    for dimension_set in dimension_sets:
        if not isinstance(dimension_set, list) or len(dimension_set) > 30:
            found.append("a dimension set is not an array of at most 30 names")
            continue
        for name in dimension_set:
            if not isinstance(event.get(name), str):
                found.append(f"dimension {name!r} has no string value in the root node")
    definitions = directive.get("Metrics")
    if not isinstance(definitions, list) or len(definitions) > 100:
        return [*found, "`Metrics` is not an array of at most 100 definitions"]
    for definition in definitions:
        found += _metric_problems(event, definition)
    return found


def _metric_problems(event: dict[str, Any], definition: Any) -> list[str]:
    if not isinstance(definition, dict):
        return ["a metric definition is not an object"]
    name = definition.get("Name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        return ["a metric `Name` is not a string of 1-255 characters"]
    found: list[str] = []
    if "Unit" in definition and definition["Unit"] not in UNITS:
        found.append(f"metric {name!r} has an unknown unit {definition['Unit']!r}")
    if definition.get("StorageResolution", 60) not in (1, 60):
        found.append(f"metric {name!r} has a storage resolution other than 1 or 60")
    value = event.get(name)
    if isinstance(value, list):
        if not value or len(value) > 100 or not all(_is_number(v) for v in value):
            found.append(f"metric {name!r} is not an array of 1-100 numbers")
    elif not _is_number(value):
        found.append(f"metric {name!r} has no numeric value in the root node")
    return found


def emf_lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` that is a JSON object with an `_aws` member, parsed."""
    events = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "_aws" in parsed:
            events.append(parsed)
    return events


def metric_names(event: dict[str, Any]) -> set[str]:
    return {m["Name"] for d in event["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
