"""`python -m app.collect cryptopanic|newscatcher|nansen`: one run (an ECS scheduled task).

Exit codes: 0 collected or disabled (no key), 1 the run failed or was partial, 2 bad usage.
"""

from __future__ import annotations

import argparse
import logging
import sys

import httpx
from sqlmodel import Session

from app.collect.http import DEFAULT_TIMEOUT
from app.collect.registry import COLLECTORS
from app.collect.runner import DEFAULT_MAX_PAGES, run_collector

USER_AGENT = "ohmycoins-collector/1"


def configure_logging() -> None:
    """Log lines on stderr; httpx's INFO lines carry full URLs (and keys), so they are muted."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.collect", description=__doc__)
    parser.add_argument("collector", choices=sorted(COLLECTORS))
    parser.add_argument("--max-pages", type=positive, default=DEFAULT_MAX_PAGES)
    args = parser.parse_args(argv)
    configure_logging()

    from app.core.config import settings
    from app.core.db import engine

    collector = COLLECTORS[args.collector]
    api_key = settings.api_key(collector.key_setting)
    with (
        httpx.Client(timeout=DEFAULT_TIMEOUT, headers={"User-Agent": USER_AGENT}) as client,
        Session(engine) as session,
    ):
        outcome = run_collector(
            collector, api_key=api_key, session=session, client=client, max_pages=args.max_pages
        )
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
