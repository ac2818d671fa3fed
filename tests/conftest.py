"""Set-up shared by every test directory (keep it small; fixtures live beside their tests)."""

from __future__ import annotations

import os

# The CDK's node helper inherits this: no end-of-life banner for these Node majors.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
