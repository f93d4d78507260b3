"""Assembling a team from a running pipeline: agents from endpoint names, and its privacy.

Front ends (the CLI, the GUI) name agents the way users do: `local`, an
`[[endpoints]]` name (`claude`, `home`), a kind (`edge`, `cloud`), or
`peer:URL` for another Tandem device serving its MCP assistant over HTTP.
They pass `runtime.pipeline`; collab reads it through `TeamSource`, so it does
not depend on the composition root (the runtime) that depends on it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Protocol

from router.collab.agents import Agent, TeamConfigError, agents_from_endpoints
from router.collab.mcp_agent import McpAssistantEndpoint
from router.collab.privacy import TeamPrivacy
from router.endpoints.base import Endpoint
from router.ledger.pseudonyms import PseudonymStore
from router.privacy.guard import EgressPolicy
from router.privacy.scan import Scanner

PEER_PREFIX = "peer:"
PEER_TOKEN_ENV = "TANDEM_PEER_TOKEN"


class TeamSource(Protocol):
    """What a team takes from the turn pipeline (`runtime.pipeline` satisfies it)."""

    @property
    def endpoints(self) -> Mapping[str, Endpoint]:
        """The configured endpoints by name, `local` among them."""
        ...

    @property
    def scanner(self) -> Scanner:
        """The privacy scanner with the user's rules."""
        ...

    @property
    def pseudonyms(self) -> PseudonymStore:
        """Where placeholders for protected values are kept."""
        ...

    @property
    def egress_policy(self) -> EgressPolicy:
        """The values every off-device request is checked against."""
        ...


def parse_agent_specs(text: str) -> list[str]:
    """`local,local,edge` -> ['local', 'local', 'edge'] (peer URLs keep their colons)."""
    specs = [s.strip() for s in text.split(",") if s.strip()]
    if not specs:
        raise TeamConfigError("no agents given", "list them, e.g. --agents local,local,edge")
    return specs


def team_agents(
    pipeline: TeamSource, specs: Sequence[str], *, peer_token_env: str = PEER_TOKEN_ENV
) -> list[Agent]:
    """Agents for `specs` over the pipeline's endpoints; `peer:URL` reaches another device."""
    endpoints: dict[str, Endpoint] = dict(pipeline.endpoints)
    resolved: list[str] = []
    for i, spec in enumerate(specs):
        if spec.startswith(PEER_PREFIX):
            name = f"peer{i + 1}"
            endpoints[name] = McpAssistantEndpoint(
                spec[len(PEER_PREFIX) :],
                token=os.environ.get(peer_token_env) or None,
                name=name,
                egress=pipeline.egress_policy,
            )
            resolved.append(name)
        else:
            resolved.append(spec)
    return agents_from_endpoints(resolved, endpoints)


def team_privacy(pipeline: TeamSource) -> TeamPrivacy:
    """The pipeline's scanner (the user's rules), placeholder store and egress policy."""
    return TeamPrivacy(
        scanner=pipeline.scanner, pseudonyms=pipeline.pseudonyms, egress=pipeline.egress_policy
    )


async def prepare_agents(agents: Sequence[Agent]) -> None:
    """Load each distinct endpoint once (the device model's weights, for instance)."""
    seen: set[int] = set()
    for agent in agents:
        if id(agent.endpoint) not in seen:
            seen.add(id(agent.endpoint))
            await agent.endpoint.prepare()
