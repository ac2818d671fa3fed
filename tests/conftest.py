"""Set-up shared by every test directory (keep it small; fixtures live beside their tests)."""

from __future__ import annotations

from stacks.node_runtime import quiet_jsii

quiet_jsii()  # tests that import aws_cdk directly start jsii's Node before cdk_app or stacks would
