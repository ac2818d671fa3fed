"""Lambda code bundled by copying files on the synth machine (no Docker), hashed by content."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")

Copy = Callable[[Path], None]


@jsii.implements(ILocalBundling)
class _CopyBundler:
    """Runs `copy` into the bundle's output folder; the Docker image is never used."""

    def __init__(self, copy: Copy) -> None:
        self._copy = copy

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        self._copy(Path(output_dir))
        return True


def copied_code(source: Path, copy: Copy) -> lambda_.Code:
    """Code whose bundle `copy(output_dir)` writes; `source` only anchors the asset."""
    return lambda_.Code.from_asset(
        str(source),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("unused-local-bundling"), local=_CopyBundler(copy)
        ),
    )
