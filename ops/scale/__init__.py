"""Scaling an environment: to zero and back, one service to N, park/unpark, saved state and lock.

Imports `ops.aws` and the resource modules (services, rds, alarms, collectors).
"""
