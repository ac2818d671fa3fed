"""The CDK app and the per-environment configuration it reads."""

from stacks.node_runtime import quiet_jsii

quiet_jsii()  # before cdk_app.synth or __main__ imports the CDK (and so starts jsii's Node)
