"""Fixtures for the GUI tests: runtimes over a fake endpoint in an isolated TANDEM_HOME."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]


@pytest.fixture
def fake_runtime(tandem_home: TandemPaths) -> RuntimeFactory:
    """Return a factory of runtimes whose only endpoint is `endpoint`, named `local`.

    Each runtime opens the same TANDEM_HOME, so a second one sees the first's
    ledger, as the app does after a restart.
    """

    @asynccontextmanager
    async def factory(endpoint: FakeEndpoint) -> AsyncIterator[Runtime]:
        runtime = build_runtime(tandem_home, endpoints={"local": endpoint})
        try:
            yield runtime
        finally:
            await runtime.aclose()

    return factory
