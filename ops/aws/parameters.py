"""SSM parameters that `ops` owns: one reader, where a missing parameter is None, not an error."""

from __future__ import annotations

from ops.aws.session import Aws
from ops.errors import error_code


def read(aws: Aws, name: str) -> str | None:
    """The parameter's value, None when it does not exist; other errors propagate."""
    from botocore.exceptions import ClientError

    try:
        return aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        raise
