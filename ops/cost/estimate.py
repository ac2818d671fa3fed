"""Monthly cost estimate of an environment, per resource and in total, for each operating state.

The quantities come from the environment's CloudFormation templates (`ops.cost.inventory`) and the
task counts from its config; the prices from the pinned table of its region (`ops.cost.prices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from stacks.contract import names
from stacks.contract.alarm_catalog import BACKEND_METRICS, COLLECTOR_METRICS

if TYPE_CHECKING:  # type hints only: `ops cost --help` reads STATES without loading these
    from ops.cost.inventory import Inventory
    from ops.cost.prices import PriceTable

RUNNING = "running"
SCALED_TO_ZERO = "scaled-to-zero"
PARKED = "parked"
STATES: tuple[str, ...] = (RUNNING, SCALED_TO_ZERO, PARKED)
# Running during the schedule's up hours, scaled to zero the rest (only with a `schedule`).
SCHEDULED = "scheduled"


class LineDict(TypedDict):
    """A Line in `ops cost --json`."""

    resource: str
    quantity: float
    unit: str
    unit_usd: float
    price: str
    monthly_usd: float


class EstimateDict(TypedDict):
    """An Estimate in `ops cost --json`."""

    state: str
    region: str
    total_usd: float
    lines: list[LineDict]
    notes: list[str]


@dataclass(frozen=True, kw_only=True)
class Line:
    """One billed item: quantity x unit price = monthly USD, with the price key it was priced by."""

    resource: str
    quantity: float
    unit: str
    unit_usd: float
    price: str
    monthly_usd: float

    def to_dict(self) -> LineDict:
        return {
            "resource": self.resource,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_usd": self.unit_usd,
            "price": self.price,
            "monthly_usd": self.monthly_usd,
        }


@dataclass(kw_only=True)
class Estimate:
    """The lines of one state's estimate, their total and notes on what it assumes."""

    state: str
    region: str
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    def to_dict(self) -> EstimateDict:
        return {
            "state": self.state,
            "region": self.region,
            "total_usd": self.total_usd,
            "lines": [line.to_dict() for line in self.lines],
            "notes": list(self.notes),
        }


class _Builder:
    """Adds priced lines to an estimate; lines with a zero quantity are left out."""

    def __init__(self, estimate: Estimate, prices: PriceTable) -> None:
        self.estimate = estimate
        self.prices = prices

    def add(
        self, resource: str, quantity: float, unit: str, key: str, variant: str | None = None
    ) -> None:
        if quantity <= 0:
            return
        price = self.prices.get(key, variant)
        self.estimate.lines.append(
            Line(
                resource=resource,
                quantity=round(quantity, 4),
                unit=unit,
                unit_usd=price.usd,
                price=price.key,
                monthly_usd=round(quantity * price.usd, 2),
            )
        )


def estimate(
    inv: Inventory,
    *,
    state: str,
    prices: PriceTable,
    assumptions: Mapping[str, float],
    tasks: Mapping[str, int],
    rds_running: bool,
    schedules_enabled: bool = True,
) -> Estimate:
    """Price an inventory with `tasks[service]` Fargate tasks running and RDS running or stopped.

    `schedules_enabled` is False when the collectors' rules are disabled (`ops scale --to 0`).
    """
    hours = prices.hours_per_month
    est = Estimate(state=state, region=prices.region)
    add = _Builder(est, prices).add
    add("NAT gateways", inv.nat_gateways * hours, "NAT gateway-hours", "nat_gateway_hour")
    task_ips = sum(count for name, count in tasks.items() if _public(inv, name))
    public_ips = inv.elastic_ips + inv.load_balancer_public_ips + task_ips
    add("Public IPv4 addresses", public_ips * hours, "address-hours", "public_ipv4_hour")
    add("Application load balancers", inv.load_balancers * hours, "ALB-hours", "alb_hour")
    lcu_hours = inv.load_balancers * assumptions["alb_lcu"] * hours
    add("Load balancer capacity units", lcu_hours, "LCU-hours", "alb_lcu_hour")
    if inv.distributions:
        _cloudfront(inv, est, add, assumptions)
    for db in inv.databases:
        copies = 2 if db.multi_az else 1
        label = f"RDS {db.instance_class}{' Multi-AZ' if db.multi_az else ''}"
        if rds_running:
            add(label, copies * hours, "instance-hours", "rds_instance_hour", db.instance_class)
        add(
            "RDS storage",
            copies * db.storage_gb,
            "GB-months",
            "rds_storage_gb_month",
            db.storage_type,
        )
        churn = db.storage_gb * assumptions["rds_backup_daily_change"] * db.backup_retention_days
        add("RDS backups beyond the free allowance", churn, "GB-months", "rds_backup_gb_month")
        if rds_running and db.monitoring_interval:  # OS metrics land in CloudWatch Logs
            gb = assumptions["rds_enhanced_monitoring_gb_at_60s"] * 60 / db.monitoring_interval
            add("RDS enhanced monitoring logs", gb, "GB", "log_ingest_gb")
    for cache in inv.caches:
        add(
            f"ElastiCache {cache.node_type} x{cache.nodes}",
            cache.nodes * hours,
            "node-hours",
            "elasticache_node_hour",
            cache.node_type,
        )
    for name, size in sorted(inv.tasks.items()):
        count = tasks.get(name, 0)
        add(f"Fargate {name} vCPU", count * size.vcpu * hours, "vCPU-hours", "fargate_vcpu_hour")
        add(f"Fargate {name} memory", count * size.memory_gb * hours, "GB-hours", "fargate_gb_hour")
    # Scheduled tasks run while their rules are enabled (scaling to 0 disables them; parked: gone).
    task_hours = [
        (t.runs_per_hour * hours * assumptions["scheduled_task_minutes"] / 60, t)
        for t in (inv.scheduled if schedules_enabled else ())
    ]
    if task_hours:
        vcpu_hours = sum(h * t.vcpu for h, t in task_hours)
        gb_hours = sum(h * t.memory_gb for h, t in task_hours)
        runs = f"Scheduled tasks ({len(task_hours)} schedules)"
        add(f"{runs} vCPU", vcpu_hours, "vCPU-hours", "fargate_vcpu_hour")
        add(f"{runs} memory", gb_hours, "GB-hours", "fargate_gb_hour")
    add(
        "VPC gateway endpoints (S3: image layers skip NAT data processing)",
        inv.gateway_endpoints,
        "endpoint-months",
        "vpc_gateway_endpoint_month",
    )
    add("WAF web ACLs", inv.web_acls, "web ACL-months", "waf_web_acl_month")
    add("WAF rules", inv.web_acl_rules, "rule-months", "waf_rule_month")
    if tasks:  # requests reach the ACL while the services run
        requests = inv.web_acls * assumptions["waf_requests_million_per_month"]
        add("WAF requests", requests, "million requests", "waf_request_million")
    add("Secrets Manager secrets", inv.secrets, "secret-months", "secret_month")
    add("KMS keys", inv.kms_keys, "key-months", "kms_key_month")
    add(
        f"CloudWatch alarms ({inv.alarms})",
        inv.alarm_metrics,
        "alarm metric-months",
        "alarm_metric_month",
    )
    add("CloudWatch dashboards", inv.dashboards, "dashboard-months", "dashboard_month")
    # The app's own metrics (EMF lines, alarm_catalog.BACKEND_METRICS / COLLECTOR_METRICS) are
    # billed for the hours they are written: the backend's while it runs, each collector's while
    # its schedule is on.
    backend_runs = names.BACKEND in inv.tasks and tasks.get(names.BACKEND, 0) > 0
    backend = len(BACKEND_METRICS) if backend_runs else 0
    app_metrics = backend + len(COLLECTOR_METRICS) * len(task_hours)
    add("CloudWatch metrics of the app", app_metrics, "metric-months", "custom_metric_month")
    ingest = (
        sum(tasks.get(name, 0) for name in inv.tasks) * assumptions["log_ingest_gb_per_task_month"]
    )
    add("Log ingestion", ingest, "GB", "log_ingest_gb")
    stored = inv.log_groups * assumptions["log_stored_gb_per_group"]
    add("Log storage", stored, "GB-months", "log_storage_gb_month")
    return est


def _cloudfront(
    inv: Inventory, est: Estimate, add: Callable[..., None], a: Mapping[str, float]
) -> None:
    """CloudFront bills no hours (nor its VPC origin): data out and requests beyond the always-free
    tier, and the paused page's function invocations while parked."""
    gb, requests = a["cloudfront_gb_out"], a["cloudfront_requests"]
    add(
        "CloudFront data out beyond the free tier",
        max(0.0, gb - a["cloudfront_free_gb_out"]),
        "GB",
        "cloudfront_gb_out",
    )
    add(
        "CloudFront HTTPS requests beyond the free tier",
        max(0.0, requests - a["cloudfront_free_requests"]) / 10_000,
        "10k requests",
        "cloudfront_https_10k_requests",
    )
    if inv.edge_functions:
        add(
            "CloudFront Function invocations beyond the free tier",
            max(0.0, requests - a["cloudfront_free_function_invocations"]) / 1_000_000,
            "1M invocations",
            "cloudfront_function_1m_invocations",
        )
    within = gb <= a["cloudfront_free_gb_out"] and requests <= a["cloudfront_free_requests"]
    est.notes.append(
        f"CloudFront: {gb:g} GB out and {requests / 1e6:g}M requests a month assumed "
        f"(assumptions.yaml), {'within' if within else 'beyond'} the always-free "
        f"{a['cloudfront_free_gb_out']:g} GB and {a['cloudfront_free_requests'] / 1e6:g}M "
        "requests; no hourly charge, and the internal ALB has no public IPv4"
    )


def _public(inv: Inventory, service: str) -> bool:
    size = inv.tasks.get(service)
    return bool(size and size.public_ip)


def blend(running: Estimate, resting: Estimate, *, up_fraction: float, state: str) -> Estimate:
    """Each line weighted by the share of time in its state: running `up_fraction`, else resting.

    Lines of the same item (resource, unit and price) in both add up; an item billed in only one
    state keeps its share of that state alone.
    """
    if not 0 <= up_fraction <= 1:
        raise ValueError(f"up_fraction must be within 0..1, got {up_fraction}")
    merged: dict[tuple[str, str, str], Line] = {}
    for source, weight in ((running, up_fraction), (resting, 1 - up_fraction)):
        for line in source.lines:
            key = (line.resource, line.unit, line.price)
            quantity = line.quantity * weight
            if key in merged:
                quantity += merged[key].quantity
            if quantity <= 0:
                continue
            merged[key] = Line(
                resource=line.resource,
                quantity=round(quantity, 4),
                unit=line.unit,
                unit_usd=line.unit_usd,
                price=line.price,
                monthly_usd=round(quantity * line.unit_usd, 2),
            )
    return Estimate(state=state, region=running.region, lines=list(merged.values()))
