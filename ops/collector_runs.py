"""Each collector's last successful run and what it stored, from the collectors' own metrics.

Source: the CloudWatch metrics the runs write as EMF lines (`SuccessfulRuns`, `ItemsStored` in the
catalog's app namespace, dimensions Environment and Collector), at one-minute resolution over the
last `LOOK_BACK`. `ops` has no path to the database, and the metrics are what the alarms watch, so
`ops status` and the alarms agree.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

from ops.aws.session import Aws
from stacks.contract import alarm_catalog, names

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import (
        DimensionTypeDef,
        MetricDataQueryTypeDef,
        MetricStatTypeDef,
    )

LOOK_BACK = dt.timedelta(days=7)
PERIOD_SECONDS = 60
SUCCESSES = alarm_catalog.SUCCESSFUL_RUNS
STORED = alarm_catalog.ITEMS_STORED
SOURCE = f"CloudWatch metrics {alarm_catalog.APP_NAMESPACE} {SUCCESSES}/{STORED}"


class LastSuccess(TypedDict):
    last_success: str | None  # ISO time of the minute the run finished in
    items_stored: int | None  # what that run stored


def collector_of(env: str, rule_name: str) -> str | None:
    """The collector a schedule rule runs (`ohmycoins-<env>-collect-<name>`), None if not one."""
    prefix = names.resource_name(env, "collect") + "-"
    name = rule_name.removeprefix(prefix)
    return name if rule_name.startswith(prefix) and name in names.COLLECTORS else None


def _query(query_id: str, metric: str, env: str, collector: str) -> MetricDataQueryTypeDef:
    dimensions: list[DimensionTypeDef] = [
        {"Name": alarm_catalog.ENVIRONMENT_DIMENSION, "Value": env},
        {"Name": alarm_catalog.COLLECTOR_DIMENSION, "Value": collector},
    ]
    stat: MetricStatTypeDef = {
        "Metric": {
            "Namespace": alarm_catalog.APP_NAMESPACE,
            "MetricName": metric,
            "Dimensions": dimensions,
        },
        "Period": PERIOD_SECONDS,
        "Stat": "Sum",
    }
    return {"Id": query_id, "MetricStat": stat, "ReturnData": True}


def last_successes(
    aws: Aws, env: str, collectors: list[str], *, now: dt.datetime | None = None
) -> dict[str, LastSuccess]:
    """Each collector's last successful run within LOOK_BACK and the items it stored."""
    if not collectors:
        return {}
    # Minute-aligned bounds: each datapoint is then the minute its runs finished in.
    now = (now or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    queries: list[MetricDataQueryTypeDef] = []
    for index, collector in enumerate(collectors):
        queries += [
            _query(f"ok{index}", SUCCESSES, env, collector),
            _query(f"stored{index}", STORED, env, collector),
        ]
    series: dict[str, dict[dt.datetime, float]] = {}
    paginator = aws.client("cloudwatch").get_paginator("get_metric_data")
    for page in paginator.paginate(
        MetricDataQueries=queries, StartTime=now - LOOK_BACK, EndTime=now + dt.timedelta(minutes=1)
    ):
        for result in page["MetricDataResults"]:
            points = zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
            series.setdefault(result["Id"], {}).update(points)
    found: dict[str, LastSuccess] = {}
    for index, collector in enumerate(collectors):
        successes = [t for t, v in series.get(f"ok{index}", {}).items() if v > 0]
        if not successes:
            found[collector] = {"last_success": None, "items_stored": None}
            continue
        when = max(successes)
        stored = series.get(f"stored{index}", {}).get(when)
        found[collector] = {
            "last_success": when.astimezone(dt.UTC).isoformat(),
            "items_stored": None if stored is None else int(stored),
        }
    return found
