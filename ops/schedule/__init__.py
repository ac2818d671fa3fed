"""Scaling on a schedule: the decision, skip and hold requests, the function handler, status.

Imports `ops.scale` (the same engine as `ops scale`) and `stacks.contract`; never click commands.
"""
