"""Typed records a team exchanges and reports: plans, assignments, observations, traffic.

Messages between agents carry free text, and optionally one of the structured
records below (a planner's `Subtask`, a supervisor's `Assignment`, a worker's
`Observation`), so the hierarchical pattern's monitoring is data, not prose.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from router.types import FindingAction, Usage

PatternName = Literal["debate", "divide", "hierarchical"]
DebateEnding = Literal["consensus", "majority", "judge"]
TeamStatus = Literal["complete", "budget_exhausted", "failed"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Subtask(_Frozen):
    """One piece of a task, as the planner (or supervisor) wrote it."""

    kind: Literal["subtask"] = "subtask"
    index: int = Field(ge=0, description="Position of the subtask in the plan.")
    text: str = Field(description="What the worker is asked to do.")


class Assignment(_Frozen):
    """A supervisor's action: this worker does this instruction in this step."""

    kind: Literal["assignment"] = "assignment"
    step: int = Field(ge=0, description="Supervisor step that issued it (0 is the first plan).")
    worker: int = Field(ge=0, description="Index of the agent that does the work.")
    instruction: str = Field(description="What the worker is asked to do.")


class Observation(_Frozen):
    """What the supervisor observes back from one assignment."""

    kind: Literal["observation"] = "observation"
    step: int = Field(ge=0, description="Supervisor step of the assignment.")
    worker: int = Field(ge=0, description="Index of the agent that did the work.")
    instruction: str = Field(description="The assignment's instruction.")
    status: Literal["ok", "empty", "failed"] = Field(description="How the work went.")
    result: str = Field(default="", description="The worker's answer ('' when failed).")
    error: str = Field(default="", description="Why the work failed, for `failed`.")


class SupervisorAction(_Frozen):
    """One supervisor decision: assign (more) work, or finish with an answer."""

    kind: Literal["assign", "finish"] = Field(description="What the supervisor does next.")
    assignments: tuple[Assignment, ...] = Field(default=(), description="Work for `assign`.")
    answer: str = Field(default="", description="The final answer for `finish`.")


Record = Subtask | Assignment | Observation
"""A structured payload a message may carry beside its text."""


class TeamMessage(_Frozen):
    """One message sent along one edge of the topology (one hop)."""

    step: int = Field(ge=0, description="Round (debate) or step (other patterns) it belongs to.")
    sender: int = Field(ge=0, description="Index of the agent that sends it on this hop.")
    receiver: int = Field(ge=0, description="Index of the agent that receives it on this hop.")
    origin: int = Field(ge=0, description="Index of the agent that wrote it (relays differ).")
    text: str = Field(description="The message text as the receiver gets it.")
    tokens: int = Field(ge=0, description="Tokens of the text, counted by the writer's model.")
    record: Record | None = Field(default=None, description="Structured payload, if any.")


class EdgeTraffic(_Frozen):
    """What crossed one directed edge during a run."""

    sender: int = Field(ge=0, description="Sending agent.")
    receiver: int = Field(ge=0, description="Receiving agent.")
    messages: int = Field(ge=0, description="Messages sent along the edge.")
    tokens: int = Field(ge=0, description="Tokens of those messages.")


class TrafficReport(_Frozen):
    """The traffic meter's totals: inter-agent messages and every model call's tokens."""

    edges: tuple[EdgeTraffic, ...] = Field(default=(), description="Per directed edge.")
    messages: int = Field(default=0, ge=0, description="Messages over all edges.")
    message_tokens: int = Field(default=0, ge=0, description="Tokens over all edges.")
    calls: int = Field(default=0, ge=0, description="Model calls made.")
    input_tokens: int = Field(default=0, ge=0, description="Prompt tokens over all calls.")
    output_tokens: int = Field(default=0, ge=0, description="Generated tokens over all calls.")
    cost_usd: float = Field(default=0.0, ge=0, description="Money spent over all calls.")

    @property
    def total_tokens(self) -> int:
        """Prompt plus generated tokens of every call."""
        return self.input_tokens + self.output_tokens


class AgentAnswer(_Frozen):
    """One model call's outcome for one agent."""

    agent: int = Field(ge=0, description="Index of the agent.")
    step: int = Field(ge=0, description="Round or step of the call.")
    text: str = Field(description="The answer, restored to real values on the device.")
    usage: Usage = Field(default_factory=Usage, description="Tokens, time and cost of the call.")
    error: str = Field(default="", description="Why the call failed ('' when it did not).")


class TeamResult(_Frozen):
    """What a team run produced, how, and at what cost."""

    pattern: PatternName = Field(description="The collaboration pattern.")
    topology: str = Field(description="The topology's name.")
    agents: tuple[str, ...] = Field(description="Agent labels, by index.")
    status: TeamStatus = Field(description="Whether the run finished or a budget stopped it.")
    answer: str = Field(description="The team's final answer (restored on the device).")
    reason: str = Field(description="One line on how the answer was reached or why it stopped.")
    rounds: int = Field(ge=0, description="Debate rounds (or supervisor steps) actually run.")
    answers: tuple[AgentAnswer, ...] = Field(default=(), description="Every model call's answer.")
    messages: tuple[TeamMessage, ...] = Field(default=(), description="Every hop, in order.")
    records: tuple[Record | SupervisorAction, ...] = Field(
        default=(), description="Structured plans, assignments and observations."
    )
    traffic: TrafficReport = Field(default_factory=TrafficReport, description="Meter totals.")
    privacy: str = Field(default="", description="What the privacy scan decided for the team.")
    excluded_agents: tuple[int, ...] = Field(
        default=(),
        description="Agents that sat out because the task may not reach them (it stays on "
        "this device, or on the user's devices).",
    )
    privacy_action: FindingAction = Field(
        default="allow", description="The privacy verdict on the task (`keep_mine`, ...)."
    )
    wall_s: float = Field(default=0.0, ge=0, description="Seconds from start to result.")
