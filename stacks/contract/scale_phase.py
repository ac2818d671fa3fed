"""The phases of a saved scale state: written by `ops`, read by the keep-RDS-stopped guard."""

from __future__ import annotations

from enum import Enum


class Phase(Enum):
    """Where the environment is: what the keep-RDS-stopped guard and every `ops` writer go by."""

    DOWN = "down"  # scaled to zero (or parked): meant to be down
    RESTORING = "restoring"  # a restore began: meant to be up, not all back yet
    RESTORED = "restored"  # restored: the saved values are history
