"""The team view-model: pick pattern, topology and agents, run, watch the messages. No Flet.

The Flet view (`view.py`) only renders these fields and forwards clicks,
so what the team screen does is tested without a browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from app.present.team import summary_line, topology_for
from router import Runtime, TandemError, TeamPlan, TeamResult, Turn, new_id, stream_team
from router.collab.events import (
    AgentReplied,
    AgentThinking,
    MessageSent,
    StepStarted,
    TeamEvent,
    TeamFinished,
    TeamStarted,
)
from router.collab.ledger_record import record_team_turn
from router.collab.records import DebateEnding, PatternName
from router.collab.setup import prepare_agents, team_agents, team_privacy
from router.collab.traffic import Budget

PATTERNS: tuple[PatternName, ...] = ("debate", "divide", "hierarchical")
TOPOLOGIES = ("mesh", "star", "ring", "tree")
ENDINGS: tuple[DebateEnding, ...] = ("majority", "consensus", "judge")
MAX_AGENTS = 8
PREVIEW_CHARS = 160

RowKind = Literal["step", "answer", "message", "error"]
T = TypeVar("T")


@dataclass
class TeamConfig:
    """How a team is set up: one per page, shared by the Team section and the chat's Team switch."""

    pattern: PatternName = "debate"
    topology: str = "mesh"
    ending: DebateEnding = "majority"
    rounds: int = 1
    max_tokens: int | None = None
    agents: list[str] = field(default_factory=lambda: ["local", "local", "local"])

    def describe(self) -> str:
        """One line for people, e.g. `debate over mesh · local, local, cloud`."""
        return f"{self.pattern} over {self.topology} · {', '.join(self.agents)}"


class _Shared(Generic[T]):
    """A view-model attribute stored in its `TeamConfig`, so every user of the config sees it."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, vm: TeamViewModel, owner: type) -> T:
        return getattr(vm.config, self.name)  # type: ignore[no-any-return]

    def __set__(self, vm: TeamViewModel, value: T) -> None:
        setattr(vm.config, self.name, value)


@dataclass
class TeamRow:
    """One line of the live view: a step header, an agent's answer, or a message hop."""

    kind: RowKind
    text: str
    who: str = ""
    """`a1 (local)` for answers, `a1 -> a2` for messages."""
    tokens: int = 0


@dataclass
class EdgeRow:
    """Running totals of one directed edge."""

    edge: str
    messages: int = 0
    tokens: int = 0


class TeamViewModel:
    """State and actions of the team screen over a `Runtime`.

    `on_change` is called after every state change so a view can re-render; it
    must not block. `pattern`, `topology`, `ending`, `rounds`, `max_tokens` and
    `agents` live in `config`.
    """

    pattern = _Shared[PatternName]()
    topology = _Shared[str]()
    ending = _Shared[DebateEnding]()
    rounds = _Shared[int]()
    max_tokens = _Shared[int | None]()
    agents = _Shared[list[str]]()

    def __init__(
        self,
        runtime: Runtime,
        on_change: Callable[[], None] | None = None,
        config: TeamConfig | None = None,
    ) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self.config = config or TeamConfig()
        """The team's setup (pattern, topology, agents…), shared with the chat's Team switch."""
        self.rows: list[TeamRow] = []
        self.edges: dict[tuple[int, int], EdgeRow] = {}
        self.labels: tuple[str, ...] = ()
        self.thinking: set[int] = set()
        self.answer = ""
        self.summary = ""
        self.status = "ready"
        self.error: str | None = None
        self.busy = False
        self.result: TeamResult | None = None
        self.turn: Turn | None = None
        """The ledger turn the last finished run was recorded as."""
        self.session_id = new_id()
        """The conversation team runs are recorded in (chat history shows them, badged `team`)."""
        self._task: asyncio.Task[Any] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def available_agents(self) -> list[str]:
        """What an agent slot can be: every configured endpoint, the device first."""
        return list(self.runtime.pipeline.endpoints)

    def set_agent(self, index: int, name: str) -> None:
        """Make agent `index` use endpoint `name`."""
        self.agents[index] = name
        self._changed()

    def add_agent(self) -> None:
        """Add an agent (a copy of the last one), up to `MAX_AGENTS`."""
        if len(self.agents) < MAX_AGENTS:
            self.agents.append(self.agents[-1] if self.agents else "local")
            self._changed()

    def remove_agent(self, index: int) -> None:
        """Drop agent `index`, keeping at least one."""
        if len(self.agents) > 1:
            del self.agents[index]
            self._changed()

    async def run(self, question: str) -> TeamResult | None:
        """Run the team on `question`, updating the live view; errors are shown, not raised."""
        if self.busy or not question.strip():
            return None
        self._task = asyncio.current_task()  # Stop cancels the task running the team
        self._reset()
        try:
            return await self._run(question.strip())
        except asyncio.CancelledError:
            self.status = "stopped"
            return None
        except TandemError as exc:
            self._fail(str(exc))
            return None
        except Exception as exc:  # the screen must survive whatever a team does
            self._fail(f"the team failed: {type(exc).__name__}: {exc}")
            return None
        finally:
            self.busy = False
            self.thinking.clear()
            self._task = None
            self._changed()

    def stop(self) -> None:
        """Cancel the run in progress (calls in flight are cancelled too)."""
        if self._task is not None:
            self._task.cancel()

    def _reset(self) -> None:
        self.busy = True
        self.rows, self.edges, self.thinking = [], {}, set()
        self.answer, self.summary, self.error, self.result = "", "", None, None
        self.turn = None
        self.status = "preparing agents…"
        self._changed()

    def _fail(self, message: str) -> None:
        self.error = message
        self.status = "failed"

    async def _run(self, question: str) -> TeamResult | None:
        agents = team_agents(self.runtime.pipeline, self.agents)
        topology = topology_for(self.topology, len(agents), None)
        plan = TeamPlan(
            pattern=self.pattern,
            rounds=self.rounds,
            ending=self.ending,
            generation=self.runtime.settings.generation,
            budget=Budget(max_tokens=self.max_tokens),
        )
        await prepare_agents(agents)
        self.status = "running"
        async for event in stream_team(
            question, agents, topology, plan, team_privacy(self.runtime.pipeline)
        ):
            self.apply(event)
        if self.result is not None and self.result.status == "failed":
            # Nothing to keep: the chat would otherwise show an empty "complete" answer.
            self._fail(f"the team found no answer: {self.result.reason}")
            return None
        if self.result is not None:
            self.turn = record_team_turn(
                self.runtime.ledger, self.session_id, question, self.result, agents
            )
        return self.result

    def apply(self, event: TeamEvent) -> None:
        """Fold one event into the live view."""
        if isinstance(event, TeamStarted):
            self.labels = event.agents
            sitting_out = [
                event.agents[i] for i in range(len(event.agents)) if i not in event.active
            ]
            note = f" · sitting out: {', '.join(sitting_out)}" if sitting_out else ""
            self.rows.append(TeamRow("step", f"privacy: {event.privacy}{note}"))
        elif isinstance(event, StepStarted):
            self.rows.append(TeamRow("step", event.title))
            self.status = event.title
        elif isinstance(event, AgentThinking):
            self.thinking.add(event.agent)
        elif isinstance(event, AgentReplied):
            a = event.answer
            self.thinking.discard(a.agent)
            kind: RowKind = "error" if a.error else "answer"
            text = a.error or _preview(a.text)
            self.rows.append(TeamRow(kind, text, self._label(a.agent), a.usage.output_tokens))
        elif isinstance(event, MessageSent):
            m = event.message
            # ASCII: the offline web font has no arrow glyph.
            who = f"a{m.sender + 1} -> a{m.receiver + 1}"
            self.rows.append(TeamRow("message", _preview(m.text), who, m.tokens))
            row = self.edges.setdefault((m.sender, m.receiver), EdgeRow(who))
            row.messages += 1
            row.tokens += m.tokens
        elif isinstance(event, TeamFinished):
            self.result = event.result
            self.answer = event.result.answer
            self.summary = summary_line(event.result)
            self.status = event.result.status.replace("_", " ")
        self._changed()

    def _label(self, agent: int) -> str:
        return self.labels[agent] if agent < len(self.labels) else f"a{agent + 1}"


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"
