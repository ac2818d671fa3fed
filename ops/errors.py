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
    operation = getattr(exc, "operation_name", "")
    if isinstance(response, dict):
        error = response.get("Error", {})
        message = str(error.get("Message", ""))
        if _is_html(message):
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", error.get("Code"))
            return _html_answer(operation, status)
        return f"{operation}: {error.get('Code', 'Error')}: {message}".strip()
    if _is_html(str(exc)):  # botocore could not parse the body (e.g. ResponseParserError)
        return _html_answer(operation, None)
    return str(exc)


def _is_html(text: str) -> bool:
    """True when an error text carries an HTML page (a proxy's or a local server's error page)."""
    lowered = text.lower()
    return "<!doctype html" in lowered or "<html" in lowered


def _html_answer(operation: str, status: object) -> str:
    """What to say when the endpoint answered with a web page instead of an AWS response."""
    import os

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    where = f"the endpoint {endpoint}" if endpoint else "the AWS endpoint"
    code = f" (HTTP {status})" if status else ""
    prefix = f"{operation}: " if operation else ""
    return (
        f"{prefix}{where} answered with an HTML error page{code} instead of an AWS response: "
        "check --region (a local AWS serves only the regions it knows) and AWS_ENDPOINT_URL"
    )


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
