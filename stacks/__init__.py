"""The CDK stacks of one environment: constructs here, `contract/` for what `ops` imports without
the CDK, `validation/` for the checks every synth runs."""

from stacks.node_runtime import quiet_jsii

quiet_jsii()  # before any construct module imports the CDK (and so starts jsii's Node)
