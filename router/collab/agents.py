"""Agents: an endpoint with a role and a system prompt.

The endpoint may be the device's llama.cpp model, a cloud or edge endpoint, or
another Tandem device reached through its MCP `assistant` server
(`McpAssistantEndpoint`). Several agents may share one endpoint; the local
llama.cpp model then serves their calls one at a time (it has one worker
thread), so concurrency among device agents is only interleaving, while calls
to remote agents truly overlap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from router.endpoints.base import Endpoint
from router.errors import TandemError
from router.types import Zone

DEFAULT_PROMPTS = {
    "solver": "You are a careful problem solver on a team. Answer the question; "
    "reason briefly, then give the final answer on the last line.",
    "planner": "You split tasks into small independent subtasks. Reply only with a "
    "numbered list of subtasks, one per line.",
    "worker": "You solve one subtask of a larger task. Answer it briefly and precisely.",
    "aggregator": "You combine the answers of subtasks into one final answer to the task. "
    "Give the final answer on the last line.",
    "supervisor": "You supervise workers: decompose the task, assign work, check results, "
    "and finish with the final answer.",
    "judge": "You judge a debate: read the answers, pick the best-supported one, and give "
    "the final answer on the last line.",
}


class TeamConfigError(TandemError):
    """A team cannot be assembled as asked."""


@dataclass(frozen=True)
class Agent:
    """One team member: who answers (endpoint), as what (role), told how (system prompt)."""

    name: str
    endpoint: Endpoint
    role: str = "solver"
    system_prompt: str = ""

    @property
    def on_device(self) -> bool:
        """True when the agent runs on this device (its messages never leave it)."""
        return self.endpoint.on_device

    @property
    def zone(self) -> Zone:
        """The trust zone the agent runs in: this device, the user's devices, or the cloud."""
        return self.endpoint.zone

    @property
    def label(self) -> str:
        """`name (endpoint kind)`, as progress lines show it."""
        return f"{self.name} ({self.endpoint.kind})"

    def prompt_for(self, role: str | None = None) -> str:
        """The system prompt for `role` (the agent's own by default)."""
        if self.system_prompt and (role is None or role == self.role):
            return self.system_prompt
        return DEFAULT_PROMPTS.get(role or self.role, DEFAULT_PROMPTS["solver"])


def agents_from_endpoints(
    specs: Sequence[str], endpoints: Mapping[str, Endpoint], role: str = "solver"
) -> list[Agent]:
    """Agents for a list like `local,local,edge`: endpoint names, or a kind (`cloud`, `edge`).

    A kind picks the first configured endpoint of that kind. Agents are named
    `a1`, `a2`, ... in order.
    """
    agents: list[Agent] = []
    for i, spec in enumerate(specs):
        endpoint = _resolve(spec.strip(), endpoints)
        agents.append(Agent(name=f"a{i + 1}", endpoint=endpoint, role=role))
    return agents


def _resolve(spec: str, endpoints: Mapping[str, Endpoint]) -> Endpoint:
    if spec in endpoints:
        return endpoints[spec]
    for endpoint in endpoints.values():
        if endpoint.kind == spec:
            return endpoint
    raise TeamConfigError(
        f"no endpoint or endpoint kind named {spec!r}",
        f"use one of: {', '.join(endpoints)} (or add it under [[endpoints]] in the config)",
    )
