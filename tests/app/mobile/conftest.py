"""Fixtures of the phone app's tests: a phone without a model file, a paired-to stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from router.endpoints.function import FunctionEndpoint
from router.paths import TandemPaths
from tests.support.lan_stub import LanStub, make_certificate, pairing_link, serve_stub


@pytest.fixture
def no_model_file(monkeypatch: pytest.MonkeyPatch, tandem_home: TandemPaths) -> TandemPaths:
    """A phone with llama.cpp but no model file (a phone has no bundled model)."""
    monkeypatch.setenv("TANDEM_LOCAL__MODEL", str(tandem_home.models_dir / "none.gguf"))
    return tandem_home


@pytest.fixture
def stub(tmp_path: Path) -> LanStub:
    """The loopback stand-in for `tandem --web --lan` (not yet served)."""
    return LanStub(make_certificate(tmp_path))


@pytest.fixture
def port(stub: LanStub) -> Iterator[int]:
    """`stub` served over HTTPS; its edge model echoes the question."""
    answer = FunctionEndpoint(lambda call: f"echo {call.question}", kind="local")
    with serve_stub(stub, answer) as served:
        yield served


@pytest.fixture
def link(stub: LanStub, port: int) -> str:
    """The pairing link of the served stub."""
    return pairing_link(port, stub.certificate.fingerprint)
