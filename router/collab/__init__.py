"""Team mode: several agents (device, cloud, edge, peer devices) collaborating on one task.

Patterns (debate, division of labour, hierarchical) run over a communication
topology (mesh, star, ring, tree, custom); every message is metered per edge,
a budget can stop the run, and the privacy gate keeps local-only data away
from off-device agents.
"""

from router.collab.agents import Agent, TeamConfigError, agents_from_endpoints
from router.collab.events import (
    AgentReplied,
    AgentThinking,
    MessageSent,
    StepStarted,
    TeamEvent,
    TeamFinished,
    TeamStarted,
)
from router.collab.mcp_agent import McpAssistantEndpoint
from router.collab.privacy import TeamPrivacy
from router.collab.records import (
    AgentAnswer,
    Assignment,
    Observation,
    Subtask,
    SupervisorAction,
    TeamMessage,
    TeamResult,
    TrafficReport,
)
from router.collab.run import TeamPlan, run_team, stream_team
from router.collab.topology import Topology, build_topology, custom, mesh, ring, star, tree
from router.collab.traffic import Budget, TrafficMeter

__all__ = [
    "Agent",
    "AgentAnswer",
    "AgentReplied",
    "AgentThinking",
    "Assignment",
    "Budget",
    "McpAssistantEndpoint",
    "MessageSent",
    "Observation",
    "StepStarted",
    "Subtask",
    "SupervisorAction",
    "TeamConfigError",
    "TeamEvent",
    "TeamFinished",
    "TeamMessage",
    "TeamPlan",
    "TeamPrivacy",
    "TeamResult",
    "TeamStarted",
    "Topology",
    "TrafficMeter",
    "TrafficReport",
    "agents_from_endpoints",
    "build_topology",
    "custom",
    "mesh",
    "ring",
    "run_team",
    "star",
    "stream_team",
    "tree",
]
