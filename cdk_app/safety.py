"""Checks that make an environment safe by default: HTTPS at the edge and someone always paged.

Plain HTTP is possible only with `edge.cloudfront: false` and a written `edge.plain_http_reason`;
a custom domain needs a CloudFront certificate, which must live in us-east-1; every environment
has at least one alarm recipient (`alarm_emails` or `alarm_webhooks`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cdk_app.schema import ConfigError

if TYPE_CHECKING:
    from cdk_app.config import EnvConfig

# CloudFront reads viewer certificates from ACM in us-east-1 only, whatever the stack's region.
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
MIN_REASON_WORDS = 5
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERTIFICATE = re.compile(r"^arn:aws:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[\w-]+$")
# An HTTPS endpoint, or a CloudFormation dynamic reference to one kept in Secrets Manager (a
# PagerDuty or Opsgenie URL carries its integration key).
_WEBHOOK = re.compile(r"^(https://[^\s/]+(/\S*)?|\{\{resolve:secretsmanager:[^\s}]+\}\})$")
# Reserved for documentation (RFC 2606): the shipped example recipients use them.
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")


def is_example(recipient: str) -> bool:
    """Whether a recipient is the shipped placeholder (an address or URL at an example domain)."""
    at_host = recipient.rpartition("@")[2] if "@" in recipient else None
    host = (at_host or urlsplit(recipient).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in EXAMPLE_DOMAINS)


def validate_safety(c: EnvConfig) -> None:
    """Raise a ConfigError naming the file and key when the env would serve plain HTTP by
    accident, misconfigure its custom domain, or page nobody."""
    _validate_edge(c)
    _validate_recipients(c)


def _fail(c: EnvConfig, key: str, problem: str) -> None:
    raise ConfigError(c.source, key, problem)


def _validate_edge(c: EnvConfig) -> None:
    edge = c.edge
    reason = (edge.plain_http_reason or "").strip()
    if not edge.cloudfront:
        if len(reason.split()) < MIN_REASON_WORDS:
            _fail(
                c,
                "edge.plain_http_reason",
                "edge.cloudfront is false, so the app (its login included) would be served over "
                "plain HTTP: keep edge.cloudfront: true, or acknowledge it here with a written "
                f"reason of at least {MIN_REASON_WORDS} words",
            )
        if edge.domain_name is not None or c.certificate_arn is not None:
            key = "edge.domain_name" if edge.domain_name is not None else "certificate_arn"
            _fail(c, key, "a custom domain is served by CloudFront: needs edge.cloudfront: true")
        return
    if edge.plain_http_reason is not None:
        _fail(
            c,
            "edge.plain_http_reason",
            "only meaningful with edge.cloudfront: false; remove it (HTTPS is on)",
        )
    if edge.domain_name is not None and _DOMAIN.match(edge.domain_name) is None:
        _fail(c, "edge.domain_name", f"not a lower-case DNS name: {edge.domain_name!r}")
    if (edge.domain_name is None) != (c.certificate_arn is None):
        missing = "certificate_arn" if c.certificate_arn is None else "edge.domain_name"
        _fail(c, missing, "edge.domain_name and certificate_arn go together (set both or neither)")
    if c.certificate_arn is not None:
        match = _CERTIFICATE.match(c.certificate_arn)
        if match is None:
            _fail(c, "certificate_arn", "expected arn:aws:acm:<region>:<account>:certificate/<id>")
        elif match["region"] != CLOUDFRONT_CERTIFICATE_REGION:
            _fail(
                c,
                "certificate_arn",
                f"CloudFront uses certificates from ACM in {CLOUDFRONT_CERTIFICATE_REGION} only; "
                f"this one is in {match['region']}: request or import it in "
                f"{CLOUDFRONT_CERTIFICATE_REGION}",
            )


def _validate_recipients(c: EnvConfig) -> None:
    for index, hook in enumerate(c.alarm_webhooks):
        if _WEBHOOK.match(hook) is None:
            _fail(
                c,
                f"alarm_webhooks[{index}]",
                "expected an https:// URL or {{resolve:secretsmanager:NAME:SecretString:KEY}}",
            )
    if not c.alarm_emails and not c.alarm_webhooks:
        _fail(
            c,
            "alarm_emails",
            "no alarm recipient: every alarm would page nobody; add an e-mail address here or an "
            "HTTPS endpoint (PagerDuty, Opsgenie) under alarm_webhooks",
        )
