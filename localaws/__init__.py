"""Local AWS: a moto server taught the resource types our templates use, plus deploy and verify.

Lives apart from the product code: nothing in `stacks/`, `cdk_app/` or `ops/` imports it.
"""
