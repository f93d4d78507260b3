"""Team runs as text, for the terminal and the app: progress lines and the closing summary.

`topology_for` turns the topology options (a name, or a custom graph) into a
`Topology`; the CLI's flags and the Team section's pickers both go through it.
"""

from __future__ import annotations

from router import TeamResult
from router.collab.agents import TeamConfigError
from router.collab.events import (
    AgentReplied,
    MessageSent,
    StepStarted,
    TeamEvent,
    TeamFinished,
    TeamStarted,
)
from router.collab.topology import Topology, build_topology, custom, parse_adjacency

PREVIEW_CHARS = 80


def topology_for(name: str, n: int, graph: str | None) -> Topology:
    """The topology the options name, for `n` agents."""
    if name == "custom" or graph:
        if not graph:
            raise TeamConfigError("--topology custom needs --graph", "e.g. --graph '0:1,2;1:2'")
        return custom(parse_adjacency(graph), size=n)
    return build_topology(name, n)


def progress_line(event: TeamEvent) -> str:
    """One terminal line for an event ('' for events not worth a line)."""
    if isinstance(event, TeamStarted):
        who = ", ".join(
            label + ("" if i in event.active else " [sits out]")
            for i, label in enumerate(event.agents)
        )
        return f"[team] {who} · privacy: {event.privacy}"
    if isinstance(event, StepStarted):
        return f"── {event.title}"
    if isinstance(event, AgentReplied):
        a = event.answer
        if a.error:
            return f"  a{a.agent + 1} failed: {a.error}"
        return (
            f"  a{a.agent + 1} answered ({a.usage.output_tokens} tok, "
            f"{a.usage.latency_s:.1f} s): {_preview(a.text)}"
        )
    if isinstance(event, MessageSent):
        m = event.message
        relay = f" (relaying a{m.origin + 1})" if m.origin != m.sender else ""
        kind = f" [{m.record.kind}]" if m.record is not None else ""
        return f"  a{m.sender + 1} → a{m.receiver + 1}: {m.tokens} tok{kind}{relay}"
    if isinstance(event, TeamFinished):
        return summary_line(event.result)
    return ""


def summary_line(result: TeamResult) -> str:
    """The closing line: status, how the answer was reached, traffic and cost."""
    t = result.traffic
    return (
        f"[{result.status} · {result.reason} · {t.messages} messages, {t.message_tokens} tok "
        f"between agents · {t.calls} calls, {t.total_tokens} tok in all · ${t.cost_usd:.4f} · "
        f"{result.wall_s:.1f} s]"
    )


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"
