"""The pinned price tables of `ops cost`: `prices/<region>.yaml` here plus the usage assumptions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PRICE_DIR = Path(__file__).resolve().parent / "prices"
ASSUMPTIONS_FILE = PRICE_DIR / "assumptions.yaml"


class PriceError(ValueError):
    """A price table is missing, malformed, or lacks a price that an estimate needs."""


@dataclass(frozen=True, kw_only=True)
class Price:
    """One price: USD amount, unit, the page it comes from and the month it was current."""

    key: str
    usd: float
    unit: str
    source: str
    as_of: str


@dataclass(frozen=True, kw_only=True)
class PriceTable:
    """Every price of one region, looked up by key (and by size for instances and nodes)."""

    region: str
    path: Path
    hours_per_month: float
    prices: dict[str, Price]

    def get(self, key: str, variant: str | None = None) -> Price:
        """The price `key` (e.g. `nat_gateway_hour`) or `key[variant]` (e.g. an instance class)."""
        full = f"{key}[{variant}]" if variant else key
        try:
            return self.prices[full]
        except KeyError:
            known = sorted(k for k in self.prices if k.startswith(f"{key}["))
            hint = f"; priced: {', '.join(known)}" if known else ""
            raise PriceError(f"{self.path}: no price for {full}{hint}") from None

    @property
    def as_of(self) -> str:
        """The oldest `as_of` month in the table: how stale the estimate may be."""
        return min(price.as_of for price in self.prices.values())


def _price(path: Path, key: str, entry: Any) -> Price:
    if not isinstance(entry, dict):
        raise PriceError(f"{path}: {key} must be a mapping with usd, unit, source and as_of")
    missing = [field for field in ("usd", "unit", "source", "as_of") if field not in entry]
    if missing:
        raise PriceError(f"{path}: {key} lacks {', '.join(missing)}")
    if not isinstance(entry["usd"], int | float) or isinstance(entry["usd"], bool):
        raise PriceError(f"{path}: {key}.usd must be a number, got {entry['usd']!r}")
    return Price(
        key=key,
        usd=float(entry["usd"]),
        unit=str(entry["unit"]),
        source=str(entry["source"]),
        as_of=str(entry["as_of"]),
    )


def load_prices(region: str, *, directory: Path = PRICE_DIR) -> PriceTable:
    """Load and check `<directory>/<region>.yaml`; a missing file or price is a `PriceError`."""
    path = directory / f"{region}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml") if p != ASSUMPTIONS_FILE))
        raise PriceError(f"no price table for region {region} ({path}); priced regions: {known}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("region") != region:
        raise PriceError(f"{path}: `region` must be {region}")
    hours = _price(path, "hours_per_month", data.get("hours_per_month"))
    prices: dict[str, Price] = {}
    for key, entry in (data.get("prices") or {}).items():
        if isinstance(entry, dict) and "usd" not in entry:
            for variant, sub in entry.items():
                full = f"{key}[{variant}]"
                prices[full] = _price(path, full, sub)
        else:
            prices[key] = _price(path, key, entry)
    return PriceTable(region=region, path=path, hours_per_month=hours.usd, prices=prices)


def load_assumptions(path: Path = ASSUMPTIONS_FILE) -> dict[str, float]:
    """The usage assumptions (LCUs, log volumes, backup churn) as name -> value."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return {name: float(entry["value"]) for name, entry in data.items()}
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise PriceError(f"{path}: every assumption needs a numeric `value` ({exc})") from None
