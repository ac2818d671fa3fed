"""Deploy an environment into the local AWS server with the real CDK CLI, then verify it.

`cdk bootstrap` runs outside the app directory (so it does not synthesize the app), then
`cdk deploy --all -c env=<env> --require-approval never`. Reset the server to start again;
there is no `cdk destroy` step.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import boto3

from localaws.runner import REPO_ROOT, STATE_DIR
from localaws.verify import StackReport, verify
from stacks.node_runtime import quiet_jsii

CDK_BIN = REPO_ROOT / "node_modules" / ".bin" / "cdk"
LOCAL_ENV = "local"
TOOLKIT_STACK = "CDKToolkit"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
_DROPPED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class CdkFailed(RuntimeError):
    """A CDK CLI command exited non-zero."""


@dataclass(frozen=True, kw_only=True)
class DeployResult:
    """What a local deploy did and how long each part took."""

    stacks: tuple[str, ...]
    reports: tuple[StackReport, ...]
    synth_seconds: float
    bootstrap_seconds: float
    deploy_seconds: float

    def verified(self) -> str:
        """What was verified, as `ops local deploy` and `make demo` both print it: the resources
        of the environment's stacks, and apart from them those of the bootstrap stack."""
        app = sum(len(r.checked) for r in self.reports if r.stack in self.stacks)
        toolkit = sum(len(r.checked) for r in self.reports if r.stack not in self.stacks)
        return (
            f"{len(self.stacks)} stacks ({', '.join(self.stacks)}): {app} resources verified "
            f"through their own APIs, plus {toolkit} of the bootstrap stack {TOOLKIT_STACK}"
        )


def local_region(env: str = LOCAL_ENV) -> str:
    """The region the environment's config names."""
    from cdk_app.config import load

    return load(env).region


def env_stacks(env: str) -> list[str]:
    """The stacks of one environment, in deploy order."""
    from cdk_app.config import load
    from stacks.contract import names

    scheduled = load(env).schedule is not None
    return [names.stack_name(env, part) for part in names.stack_parts(scheduled=scheduled)]


def cdk_environment(endpoint: str, region: str) -> dict[str, str]:
    """The process environment for the CDK CLI against the local server."""
    environment = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    environment.update(DUMMY_CREDENTIALS)
    environment.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
    )
    quiet_jsii(environment)
    return environment


def local_session(region: str) -> boto3.Session:
    """A boto3 session with the dummy credentials (pass endpoint_url to its clients)."""
    return boto3.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
    )


def _run(argv: list[str], *, cwd: Path, environment: dict[str, str], stream: bool) -> None:
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        argv,
        cwd=cwd,
        env=environment,
        stdout=None if stream else subprocess.PIPE,
        stderr=None if stream else subprocess.STDOUT,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = "" if stream else f"\n{(result.stdout or '')[-4000:]}"
        raise CdkFailed(f"{' '.join(argv[:3])} exited {result.returncode}{tail}")


def bootstrap(endpoint: str, *, region: str, account: str, stream: bool = True) -> float:
    """`cdk bootstrap aws://ACCOUNT/REGION` against the server; returns the seconds it took."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    _run(
        [str(CDK_BIN), "bootstrap", f"aws://{account}/{region}"],
        cwd=STATE_DIR,  # no cdk.json here: bootstrap does not synthesize the app
        environment=cdk_environment(endpoint, region),
        stream=stream,
    )
    return time.monotonic() - started


def synth(env: str, *, out: Path, endpoint: str, stream: bool = True) -> float:
    """`cdk synth -c env=ENV -o OUT` (full validation); returns the seconds it took.

    The endpoint is passed too so that the CLI's account lookup asks the local server.
    """
    started = time.monotonic()
    _run(
        [str(CDK_BIN), "synth", "-c", f"env={env}", "-o", str(out), "--quiet"],
        cwd=REPO_ROOT,
        environment=cdk_environment(endpoint, local_region(env)),
        stream=stream,
    )
    return time.monotonic() - started


def deploy(
    endpoint: str,
    *,
    env: str = LOCAL_ENV,
    assembly: Path | None = None,
    stream: bool = True,
) -> DeployResult:
    """Synthesize, bootstrap, `cdk deploy --all -c env=ENV`, then verify every resource.

    `assembly` deploys an already synthesized cloud assembly instead of synthesizing again.
    """
    synth_seconds = 0.0
    if assembly is None:
        assembly = STATE_DIR / f"cdk.out.{env}"
        synth_seconds = synth(env, out=assembly, endpoint=endpoint, stream=stream)
    region = local_region(env)
    environment = cdk_environment(endpoint, region)
    session = local_session(region)
    account = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    bootstrap_seconds = bootstrap(endpoint, region=region, account=account, stream=stream)
    argv = [str(CDK_BIN), "deploy", "--all", "-c", f"env={env}", "--require-approval", "never"]
    argv += ["--app", str(assembly)]
    started = time.monotonic()
    _run(argv, cwd=REPO_ROOT, environment=environment, stream=stream)
    deploy_seconds = time.monotonic() - started
    stacks = env_stacks(env)
    reports = verify(session, [TOOLKIT_STACK, *stacks], endpoint_url=endpoint)
    return DeployResult(
        stacks=tuple(stacks),
        reports=tuple(reports),
        synth_seconds=synth_seconds,
        bootstrap_seconds=bootstrap_seconds,
        deploy_seconds=deploy_seconds,
    )
