"""The CDK stacks of one environment: constructs here, `contract/` for what `ops` imports without
the CDK, `validation/` for the checks every synth runs."""
