"""`--region`: refused at once unless it has the form of an AWS region name.

The forms are botocore's partition patterns (`us-east-1`, `ap-southeast-2`, `cn-north-1`...), so a
region newer than the installed botocore is still accepted while a typo is bad usage (exit 2)
instead of an endpoint that does not exist or a local server that answers with an error page.
"""

from __future__ import annotations

import re

import click


def region_patterns() -> tuple[re.Pattern[str], ...]:
    """The region-name pattern of every AWS partition, from botocore's bundled data."""
    from botocore.loaders import create_loader

    partitions = create_loader().load_data("partitions")["partitions"]
    return tuple(re.compile(partition["regionRegex"]) for partition in partitions)


def is_region_name(value: str) -> bool:
    """True when `value` has the form of a region name of some AWS partition."""
    return any(pattern.match(value) for pattern in region_patterns())


def check_region(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """click callback: None passes (the environment's region applies); a malformed name is 2."""
    if value is None or is_region_name(value):
        return value
    raise click.BadParameter(f"{value!r} is not an AWS region name (for example ap-southeast-2)")
