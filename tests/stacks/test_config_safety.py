"""Config errors that keep an env safe: no accidental plain HTTP, a valid custom domain, a pager."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from stack_templates import AWS_ENVS, ENVS

from cdk_app.config import ENVIRONMENTS_DIR, ConfigError, load
from cdk_app.safety import is_example

REASON = "a lab on an isolated network where nothing real is served"
CERT = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
SYDNEY_CERT = CERT.replace("us-east-1", "ap-southeast-2")


@pytest.fixture()
def env_dir(tmp_path: Path) -> Path:
    target = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, target)
    return target


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def _error(env_dir: Path, env: str, change: Callable[[dict[str, Any]], None]) -> ConfigError:
    _edit(env_dir / f"{env}.yaml", change)
    with pytest.raises(ConfigError) as caught:
        load(env, directory=env_dir)
    assert caught.value.source.endswith(f"{env}.yaml")
    return caught.value


def test_shipped_envs_are_https_except_local_which_says_why() -> None:
    for env in AWS_ENVS:
        assert load(env).edge.cloudfront and load(env).edge.plain_http_reason is None
    local = load("local").edge
    assert not local.cloudfront and len((local.plain_http_reason or "").split()) >= 5


@pytest.mark.parametrize("env", AWS_ENVS)
def test_plain_http_without_a_reason_names_the_key(env_dir: Path, env: str) -> None:
    error = _error(env_dir, env, lambda d: d["edge"].update(cloudfront=False))
    assert error.key == "edge.plain_http_reason"
    assert "plain HTTP" in error.problem
    error = _error(env_dir, env, lambda d: d["edge"].update(plain_http_reason="because"))
    assert error.key == "edge.plain_http_reason"


def test_plain_http_with_a_written_reason_is_allowed(env_dir: Path) -> None:
    _edit(
        env_dir / "staging.yaml",
        lambda d: d["edge"].update(cloudfront=False, plain_http_reason=REASON, domain_name=None),
    )
    assert not load("staging", directory=env_dir).edge.cloudfront


def test_a_reason_with_https_on_is_a_stale_acknowledgement(env_dir: Path) -> None:
    error = _error(env_dir, "production", lambda d: d["edge"].update(plain_http_reason=REASON))
    assert error.key == "edge.plain_http_reason"


def test_missing_edge_section_defaults_to_cloudfront(env_dir: Path) -> None:
    _edit(env_dir / "production.yaml", lambda d: d.pop("edge"))
    assert load("production", directory=env_dir).edge.cloudfront


def test_custom_domain_needs_a_us_east_1_certificate(env_dir: Path) -> None:
    error = _error(
        env_dir,
        "production",
        lambda d: (d.update(certificate_arn=SYDNEY_CERT), d["edge"].update(domain_name="a.b.org")),
    )
    assert error.key == "certificate_arn" and "us-east-1" in error.problem


def test_domain_and_certificate_go_together(env_dir: Path) -> None:
    error = _error(env_dir, "staging", lambda d: d["edge"].update(domain_name="app.example.org"))
    assert error.key == "certificate_arn"


def test_certificate_without_domain_names_the_domain(env_dir: Path) -> None:
    error = _error(env_dir, "staging", lambda d: d.update(certificate_arn=CERT))
    assert error.key == "edge.domain_name"


def test_bad_domain_name(env_dir: Path) -> None:
    error = _error(
        env_dir,
        "staging",
        lambda d: (d.update(certificate_arn=CERT), d["edge"].update(domain_name="https://x.org")),
    )
    assert error.key == "edge.domain_name"


def test_custom_domain_with_its_certificate_loads(env_dir: Path) -> None:
    _edit(
        env_dir / "production.yaml",
        lambda d: (d.update(certificate_arn=CERT), d["edge"].update(domain_name="app.example.org")),
    )
    config = load("production", directory=env_dir)
    assert (config.edge.domain_name, config.certificate_arn) == ("app.example.org", CERT)


@pytest.mark.parametrize("env", AWS_ENVS)
def test_no_alarm_recipient_names_the_key(env_dir: Path, env: str) -> None:
    error = _error(env_dir, env, lambda d: d.update(alarm_emails=[], alarm_webhooks=[]))
    assert error.key == "alarm_emails"
    assert "nobody" in error.problem and "alarm_webhooks" in error.problem


def test_a_webhook_alone_is_a_recipient(env_dir: Path) -> None:
    hook = "https://events.pagerduty.com/integration/abc/enqueue"
    _edit(env_dir / "production.yaml", lambda d: d.update(alarm_emails=[], alarm_webhooks=[hook]))
    assert load("production", directory=env_dir).alarm_webhooks == (hook,)


@pytest.mark.parametrize(
    "hook", ["http://events.pagerduty.com/x", "events.pagerduty.com", "{{resolve:ssm:/x}}"]
)
def test_a_webhook_must_be_https(env_dir: Path, hook: str) -> None:
    error = _error(env_dir, "staging", lambda d: d.update(alarm_webhooks=[hook]))
    assert error.key == "alarm_webhooks[0]"


def test_shipped_recipients_are_marked_examples() -> None:
    for env in ENVS:
        config = load(env)
        assert config.alarm_emails and all(is_example(e) for e in config.alarm_emails)
        text = (ENVIRONMENTS_DIR / f"{env}.yaml").read_text()
        assert "EXAMPLE recipient" in text
    assert is_example("https://hooks.example.org/x")
    assert not is_example("oncall@ohmycoins.io")
    assert not is_example("https://events.pagerduty.com/x")
    assert not is_example("someone@notexample.com")
