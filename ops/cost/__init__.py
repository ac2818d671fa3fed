"""`ops cost`: price an environment per resource from its templates and the pinned price tables.

Imports `ops.aws`, `stacks.contract` and (for synthesis) `stacks`; the tables live in `prices/`.
"""
