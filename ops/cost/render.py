"""Plain-text rendering of cost estimates (the JSON form is `Estimate.to_dict`)."""

from __future__ import annotations

from collections.abc import Sequence

from ops.cost.estimate import Estimate


def _money(usd: float) -> str:
    return f"${usd:,.2f}"


def render_estimate(estimate: Estimate, *, env: str) -> str:
    """One state's estimate: a line per billed item, then the total and the notes."""
    width = max([len(line.resource) for line in estimate.lines] + [len("Total")])
    rows = [f"{env} — {estimate.state} ({estimate.region}), per month:"]
    for line in estimate.lines:
        detail = f"{line.quantity:g} {line.unit} x ${line.unit_usd:g}"
        rows.append(f"  {line.resource:<{width}}  {_money(line.monthly_usd):>10}  {detail}")
    rows.append(f"  {'Total':<{width}}  {_money(estimate.total_usd):>10}")
    rows += [f"  note: {note}" for note in estimate.notes]
    return "\n".join(rows)


def render_summary(estimates: Sequence[Estimate], *, env: str) -> str:
    """The total of each state side by side."""
    rows = [f"{env}: monthly estimate by state"]
    rows += [f"  {est.state:<15} {_money(est.total_usd):>10}" for est in estimates]
    return "\n".join(rows)
