"""Talking to AWS: the boto3 session with retries, and the stacks' outputs that name every resource.

Imports only `ops.errors` and `stacks.contract`; never click.
"""
