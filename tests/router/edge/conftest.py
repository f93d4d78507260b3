"""Fixtures: the edge server, on a free loopback port, backed by a tiny real GGUF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from router.edge.server import create_app
from router.endpoints.base import Endpoint
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.types import GenerationOptions
from tests.router.edge.support import KEY, run_server

StartServer = Callable[..., str]


@pytest.fixture
def start_server(tiny_gguf: Path) -> Iterator[StartServer]:
    """Start edge servers (default: the tiny model, key `KEY`); each is stopped after the test."""
    with ExitStack() as stack:

        def start(endpoint: Endpoint | None = None, **options: Any) -> str:
            options.setdefault("model_id", "tandem-edge")
            options.setdefault("api_key", KEY)
            # Greedy by default, so answers are repeatable: the SDK sends no temperature.
            options.setdefault("defaults", GenerationOptions(temperature=0.0))
            endpoint = endpoint or LlamaCppEndpoint(tiny_gguf, n_ctx=1024)
            return stack.enter_context(run_server(create_app(endpoint, **options)))

        yield start


@pytest.fixture
def tiny_url(start_server: StartServer) -> str:
    """An edge server on the tiny model, with the default settings and key `KEY`."""
    return start_server()
