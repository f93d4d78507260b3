"""Fixtures for the LAN view's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from router import Runtime
from tests.app.conftest import RuntimeFactory
from tests.support.lan_view import lan_runtime


@pytest.fixture
async def runtime(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    """A runtime whose LAN view accepts `tandem-test.lan` (tests/support/lan_view.py)."""
    async with lan_runtime(fake_runtime, monkeypatch) as made:
        yield made
