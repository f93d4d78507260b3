"""The machinery patterns share: calling agents (in parallel), sending metered messages.

A `Team` holds the agents, the topology, the traffic meter, the budget and the
privacy gate. Patterns only ask it to `ask` agents and `send` messages, so
every call is privacy-checked and counted, and every hop is metered, whatever
the pattern.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from router.collab.agents import Agent
from router.collab.events import AgentReplied, AgentThinking, MessageSent, StepStarted, TeamEvent
from router.collab.privacy import TeamPrivacy
from router.collab.prompts import majority
from router.collab.records import AgentAnswer, Record, SupervisorAction, TeamMessage
from router.collab.topology import Topology
from router.collab.traffic import Budget, TrafficMeter
from router.endpoints.base import StreamEnd, TokenDelta
from router.errors import EgressBlockedError, TandemError
from router.tokens import estimate_tokens
from router.turn.spotlight import new_marker
from router.types import GenerationOptions, Message, Usage

Emit = Callable[[TeamEvent], None]
_NOT_STARTED = "not started: "


class BudgetSpent(TandemError):
    """The team's token or money budget is spent; the run stops with what it has."""


@dataclass(frozen=True)
class Call:
    """One model call a step makes: who, in which step, what they read, as what role."""

    agent: int
    step: int
    prompt: str
    role: str | None = None


@dataclass
class Team:
    """Agents on a topology, with a meter, a budget and a privacy gate."""

    agents: Sequence[Agent]
    topology: Topology
    active: list[int]
    """Agents taking part: all, or only device agents when the task stays local."""
    generation: GenerationOptions = field(default_factory=GenerationOptions)
    budget: Budget = field(default_factory=Budget)
    privacy: TeamPrivacy = field(default_factory=TeamPrivacy)
    emit: Emit = lambda _event: None
    meter: TrafficMeter = field(default_factory=TrafficMeter)
    answers: list[AgentAnswer] = field(default_factory=list)
    messages: list[TeamMessage] = field(default_factory=list)
    records: list[Record | SupervisorAction] = field(default_factory=list)
    latest: dict[int, str] = field(default_factory=dict)
    """Each agent's most recent answer: what a vote uses if the budget stops the run."""
    stopped: str = ""
    """Why the budget stopped the run ('' while it has not)."""
    marker: str = field(default_factory=new_marker)
    """This run's data-block marker for other agents' answers in a prompt (`prompts.py`)."""

    @property
    def coordinator(self) -> int:
        """The planner, supervisor, aggregator or judge: the first active agent."""
        return self.active[0]

    def step(self, step: int, title: str) -> None:
        """Announce a step, refusing to start it once the budget is spent."""
        reason = self.stopped or self.budget.spent(self.meter)
        if reason:
            self.stopped = reason
            raise BudgetSpent(f"the team stopped: {reason}", "raise --max-tokens or --max-usd")
        self.emit(StepStarted(step=step, title=title))

    async def ask(self, call: Call) -> AgentAnswer:
        """Run one model call through the privacy gate; failures become an answer's `error`."""
        agent = self.agents[call.agent]
        self.emit(AgentThinking(agent=call.agent, step=call.step))
        messages = [
            Message(role="system", content=agent.prompt_for(call.role)),
            Message(role="user", content=call.prompt),
        ]
        try:
            outbound = await self.privacy.outbound(messages, off_device=not agent.on_device)
            text, usage = await self._stream(agent, outbound, call)
            answer = AgentAnswer(
                agent=call.agent, step=call.step, text=self.privacy.restore(text), usage=usage
            )
        except BudgetSpent as exc:
            self.stopped = self.stopped or exc.message
            answer = AgentAnswer(agent=call.agent, step=call.step, text="", error=exc.message)
        except EgressBlockedError as exc:
            answer = AgentAnswer(agent=call.agent, step=call.step, text="", error=exc.message)
        except Exception as exc:  # one failing agent must not take the team down
            error = str(exc) or type(exc).__name__
            answer = AgentAnswer(agent=call.agent, step=call.step, text="", error=error)
        if not answer.error.startswith(_NOT_STARTED):  # a call never started costs nothing
            self.meter.record_call(answer.usage)
        self.answers.append(answer)
        if answer.text.strip():
            self.latest[call.agent] = answer.text
        self.emit(AgentReplied(answer=answer))
        return answer

    async def _stream(
        self, agent: Agent, messages: Sequence[Message], call: Call
    ) -> tuple[str, Usage]:
        wanted = self.generation.max_tokens
        room = self.budget.output_room(self.meter, wanted, agent.endpoint.count_tokens(messages))
        if room <= 0:  # the prompt alone would pass the budget: do not start the call
            used = self.meter.input_tokens + self.meter.output_tokens
            raise BudgetSpent(
                f"{_NOT_STARTED}token budget spent: {used} of {self.budget.max_tokens} "
                "tokens used, and the next prompt does not fit in the rest"
            )
        seed = self.generation.seed
        options = self.generation.model_copy(
            update={
                "max_tokens": room,
                # Distinct seeds, so agents sharing one model do not all say the same thing.
                "seed": None if seed is None else seed + 1000 * call.agent + call.step,
            }
        )
        parts: list[str] = []
        usage = Usage()
        async for event in agent.endpoint.stream(messages, options):
            if isinstance(event, TokenDelta):
                parts.append(event.text)
            elif isinstance(event, StreamEnd):
                usage = event.usage
        return "".join(parts).strip(), usage

    async def ask_all(self, calls: Sequence[Call]) -> list[AgentAnswer]:
        """Run calls concurrently (each agent's endpoint decides how far they overlap)."""
        return list(await asyncio.gather(*(self.ask(c) for c in calls)))

    def send(
        self,
        origin: int,
        target: int,
        text: str,
        *,
        step: int,
        source: AgentAnswer | None = None,
        record: Record | None = None,
    ) -> None:
        """Send `text` from `origin` to `target` along the topology, metering every hop."""
        tokens = message_tokens(text, source)
        route = self.topology.path(origin, target)
        for sender, receiver in itertools.pairwise(route):
            message = TeamMessage(
                step=step,
                sender=sender,
                receiver=receiver,
                origin=origin,
                text=text,
                tokens=tokens,
                record=record,
            )
            self.messages.append(message)
            self.meter.record_message(message)
            self.emit(MessageSent(message=message))

    def fallback_answer(self) -> str:
        """The best answer so far: a vote over the latest answers ('' when there are none)."""
        if not self.latest:
            return ""
        winner, _count = majority(self.latest)
        return self.latest[winner]


def message_tokens(text: str, source: AgentAnswer | None) -> int:
    """Tokens of `text` as its writer's model counted them (pro rata for a part of an answer)."""
    if not text:
        return 0
    if source is not None and source.text and source.usage.output_tokens:
        if text == source.text:
            return source.usage.output_tokens
        return max(1, round(len(text) * source.usage.output_tokens / len(source.text)))
    return max(1, estimate_tokens(text))
