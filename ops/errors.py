"""Errors of `ops`: a failed operation exits 1; click's usage errors exit 2."""

from __future__ import annotations

import click


class OpsError(click.ClickException):
    """A failed operation: printed as `Error: <message>` on stderr, exit status 1."""

    exit_code = 1


def is_aws_error(exc: BaseException) -> bool:
    """True for botocore/boto3 errors, checked without importing them (keeps start-up fast)."""
    module = type(exc).__module__ or ""
    return module.startswith(("botocore", "boto3"))


def describe_aws_error(exc: BaseException) -> str:
    """A one-line description of an AWS error: the code and message when the service sent one."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        operation = getattr(exc, "operation_name", "")
        return f"{operation}: {error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return str(exc)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
