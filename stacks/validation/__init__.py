"""Validation run inside every synth: cdk-nag with its acknowledgements, cfn-lint as a plugin."""
