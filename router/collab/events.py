"""Progress events a team run streams to its front end, in the order things happen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from router.collab.records import AgentAnswer, TeamMessage, TeamResult


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class TeamStarted(_Event):
    """The team is assembled: who takes part, and what the privacy scan decided."""

    agents: tuple[str, ...] = Field(description="Agent labels, by index.")
    active: tuple[int, ...] = Field(description="Agents that take part (others sit out).")
    privacy: str = Field(description="The privacy verdict for the task.")


class StepStarted(_Event):
    """A round (debate) or a step (plan, work, synthesis) begins."""

    step: int = Field(ge=0, description="Round or step number.")
    title: str = Field(description="What the step does, e.g. `round 2: critique and revise`.")


class AgentThinking(_Event):
    """An agent's model call has started."""

    agent: int = Field(ge=0, description="Index of the agent.")
    step: int = Field(ge=0, description="Round or step of the call.")


class AgentReplied(_Event):
    """An agent's model call has finished (or failed)."""

    answer: AgentAnswer = Field(description="The answer and its usage.")


class MessageSent(_Event):
    """One hop of one message along an edge."""

    message: TeamMessage = Field(description="The hop, with its token count.")


class TeamFinished(_Event):
    """The run is over; always the last event."""

    result: TeamResult = Field(description="The answer, the records and the traffic.")


TeamEvent = TeamStarted | StepStarted | AgentThinking | AgentReplied | MessageSent | TeamFinished
