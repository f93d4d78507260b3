"""Teams of fake endpoints for the collab tests."""

from __future__ import annotations

from collections.abc import Sequence

from router.collab.agents import Agent
from router.endpoints.base import Endpoint
from router.endpoints.fake import FakeEndpoint
from router.types import Message


def constant(text: str, name: str = "fake", kind: str = "local") -> FakeEndpoint:
    """An endpoint that always answers `text`."""
    return FakeEndpoint(lambda _m: text, name=name, kind=kind)  # type: ignore[arg-type]


def team_of(endpoints: Sequence[Endpoint]) -> list[Agent]:
    return [Agent(name=f"a{i + 1}", endpoint=e) for i, e in enumerate(endpoints)]


def sent_text(requests: Sequence[Sequence[Message]]) -> str:
    """Everything an endpoint was sent, as one string."""
    return "\n".join(m.model_dump_json() for request in requests for m in request)
