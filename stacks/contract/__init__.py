"""The CDK-free contract between the stacks and `ops`: names, outputs, alarm catalog, parked mode.

Plain Python (no aws_cdk import), so `ops` loads it in milliseconds.
"""
