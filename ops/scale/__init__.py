"""Scaling an environment: to zero and back (engine), services to N (count), park/unpark (park),
changes by hand the saved state must know of (manual), the saved state and the lock (state).

Imports `ops.aws` and the resource modules (services, rds, alarms, collectors).
"""
