"""The adapter refuses another moto version and names any moto internal that went missing."""

from __future__ import annotations

import moto
import pytest

from localaws.adapter import compat


def test_another_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(compat.MotoInternalsChanged, match=r"for moto 5\.2\.5, found moto 5\.3"):
        compat.check_moto_version()


def test_the_pinned_version_is_accepted() -> None:
    compat.check_moto_version()
    assert moto.__version__ == compat.MOTO_VERSION


def test_a_missing_internal_is_named() -> None:
    with pytest.raises(compat.MotoInternalsChanged, match="parsing.get_model_mapp is missing"):
        compat.require("moto.cloudformation.parsing", "get_model_mapp")
    with pytest.raises(compat.MotoInternalsChanged, match="moto.no_such_module is missing"):
        compat.require("moto.no_such_module")


def test_dotted_internals_are_checked() -> None:
    module = compat.require("moto.elbv2.models", "FakeLoadBalancer.get_cfn_attribute")
    assert hasattr(module, "FakeTargetGroup")
    with pytest.raises(compat.MotoInternalsChanged, match="FakeLoadBalancer.no_such"):
        compat.require("moto.elbv2.models", "FakeLoadBalancer.no_such")
