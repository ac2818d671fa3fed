"""The four stacks synthesized running and parked, for a schedule that parks (`schedule.park`).

The scheduled down deploys the parked templates with CloudFormation from inside the account, and
the up deploys the running ones back (ops/schedule/stacks.py): no CDK CLI runs there. Both sets
come from the same build as `cdk synth` and `cdk synth -c parked=true`, synthesized here into a
scratch directory; the Schedule stack stages them as file assets, so `cdk deploy` publishes them
to the bootstrap bucket with the rest, and the running set equals what `cdk deploy` deployed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import aws_cdk as cdk

from cdk_app.config import EnvConfig
from stacks.contract import names
from stacks.contract.schedule import PARKED_TEMPLATES as PARKED
from stacks.contract.schedule import RUNNING_TEMPLATES as RUNNING

VARIANTS: tuple[str, ...] = (RUNNING, PARKED)

# variant -> stack name -> template file
TemplateFiles = Mapping[str, Mapping[str, Path]]
Build = Callable[[cdk.App, EnvConfig], object]
NewApp = Callable[[str, bool], cdk.App]  # (outdir, parked) -> the app to build into


def wanted(config: EnvConfig) -> bool:
    """True when this synthesis must carry the templates: a parking schedule, not parked now."""
    return config.schedule is not None and config.schedule.park and not config.parked


@contextmanager
def synthesized(config: EnvConfig, *, build: Build, new_app: NewApp) -> Iterator[TemplateFiles]:
    """Both variants of the four stacks, each built by `build` into `new_app(outdir, parked)`.

    The files last until the block ends: assets copy them into the outer assembly when built.
    """
    scratch = Path(tempfile.mkdtemp(prefix="ohmycoins-park-templates-"))
    try:
        found: dict[str, dict[str, Path]] = {}
        for variant in VARIANTS:
            outdir, parked = scratch / variant, variant == PARKED
            app = new_app(str(outdir), parked)
            build(app, replace(config, parked=parked))
            app.synth()
            found[variant] = {
                stack: outdir / f"{stack}.template.json"
                for stack in (names.stack_name(config.name, part) for part in names.STACK_PARTS)
            }
        yield found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
