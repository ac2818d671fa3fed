"""Monthly cost of every env running, scaled to zero, parked and scheduled, against the original.

The original deployment cost about $148/month at rest, computed with us-east-1 prices (three NAT
gateways at about $97/month, ElastiCache that cannot be stopped). Each figure below is priced from
the environment's synthesized templates with the pinned tables in ops/cost/prices/; the ratio is the
figure divided by $148. Production is also priced at us-east-1 prices, like the original figure.

Run: `.venv/bin/python bench/cost.py` (or `make bench`).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdk_app.config import known_envs, load  # noqa: E402
from ops.cost.environment import estimate_states  # noqa: E402
from ops.cost.estimate import SCHEDULED, STATES  # noqa: E402
from ops.cost.synth import synthesize  # noqa: E402

ORIGINAL_MONTHLY_USD = 148.0
PARKED_TARGET_USD = 15.0
SCHEDULED_TARGET_SHARE = 0.45  # staging on its schedule, against staging always on
COMPARISON_REGION = "us-east-1"


def main() -> int:
    synth = functools.lru_cache(maxsize=None)(synthesize)
    rows: list[tuple[str, str, str, float]] = []
    for env in known_envs():
        states = STATES + ((SCHEDULED,) if load(env).schedule is not None else ())
        for est in estimate_states(env, states, synth=synth):
            rows.append((env, est.region, est.state, est.total_usd))
    for est in estimate_states("production", STATES, synth=synth, price_region=COMPARISON_REGION):
        rows.append(("production", est.region, est.state, est.total_usd))
    print(f"Monthly cost vs the original ${ORIGINAL_MONTHLY_USD:.0f}/month (us-east-1, at rest)")
    print(f"{'env':<12} {'prices':<15} {'state':<15} {'USD/month':>10} {'x original':>11}")
    for env, region, state, usd in rows:
        ratio = usd / ORIGINAL_MONTHLY_USD
        print(f"{env:<12} {region:<15} {state:<15} {usd:>10.2f} {ratio:>11.3f}")
    parked = next(
        usd for env, region, state, usd in rows if (env, state) == ("production", "parked")
    )
    verdict = "met" if parked <= PARKED_TARGET_USD else "MISSED"
    print(
        f"target: production parked <= ${PARKED_TARGET_USD:.0f}/month at Sydney prices: "
        f"${parked:.2f} ({verdict})"
    )
    by_state = {state: usd for env, _, state, usd in rows if env == "staging"}
    if SCHEDULED in by_state:
        share = by_state[SCHEDULED] / by_state["running"]
        verdict = "met" if share <= SCHEDULED_TARGET_SHARE else "MISSED"
        print(
            f"target: staging scheduled <= {SCHEDULED_TARGET_SHARE:.0%} of always-on: "
            f"{share:.0%} (${by_state[SCHEDULED]:.2f} of ${by_state['running']:.2f}; "
            f"scaled to zero all week {by_state['scaled-to-zero'] / by_state['running']:.0%}, "
            f"parked all week {by_state['parked'] / by_state['running']:.0%}) "
            f"({verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
