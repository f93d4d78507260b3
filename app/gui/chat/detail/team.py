"""The detail panel of a team answer in the chat: who took part, privacy, the agents' messages.

A team turn is recorded in the ledger like any other turn (route `team`), but
what a single-model turn's panel shows (the one request that left the device)
does not fit a team: each agent got its own prompts. So the panel lists the
agents, what the team's privacy gate decided, and every message between the
agents with its tokens. The messages live only in the run's `TeamResult`; a
team turn read back from the ledger (after a restart) says so instead.
"""

from __future__ import annotations

from app.gui.chat.detail.model import TurnDetail, cost_text, zone_text
from router import TeamResult, Turn

NOT_KEPT = (
    "The messages between agents are listed only while the app that ran the team is open; "
    "the conversation keeps the question, the answer and the totals."
)


def team_message_lines(result: TeamResult) -> tuple[str, ...]:
    """Each hop between agents as `a1 -> a2 · 12 tok: text` (ASCII: the web font lacks arrows)."""
    return tuple(
        f"a{m.sender + 1} -> a{m.receiver + 1} · {m.tokens} tok: {m.text}" for m in result.messages
    )


def team_detail(turn: Turn, result: TeamResult | None = None) -> TurnDetail:
    """The panel of a finished team turn; `result` (a run watched live) adds the messages."""
    route = turn.route
    assert route is not None and route.policy == "team"
    if result is not None:
        sat_out = " · sat out: the question stays on this device"
        agents = [
            label + (sat_out if i in result.excluded_agents else "")
            for i, label in enumerate(result.agents)
        ]
        lines = team_message_lines(result)
        t = result.traffic
        caption = (
            f"{t.messages} messages, {t.message_tokens} tokens between agents:"
            if lines
            else "The agents sent each other no messages."
        )
    else:
        agents, lines, caption = [], (), NOT_KEPT
    kept_local = (
        ["the whole question: only agents on this device took part"]
        if route.privacy_action == "keep_local"
        else ["the whole question: only agents on your devices took part"]
        if route.privacy_action == "keep_mine"
        else [
            "values a privacy rule protects: off-device agents read placeholders instead",
            "answers get the real values back on this device",
        ]
    )
    return TurnDetail(
        badge="team",
        endpoint="team",
        reason=route.reason,
        policy="team",
        privacy=_privacy(route.reason, route.privacy_action, result),
        sent_text=None,
        sent_text_rebuilt=False,
        sent=tuple(f"agent {a}" for a in agents) or (f"farthest agent: {route.endpoint_kind}",),
        sent_messages=(),
        sent_caption="",
        kept_local=tuple(kept_local),
        numbers=_numbers(turn, result),
        team_messages=lines,
        team_caption=caption,
        zone=zone_text(route),
    )


def _privacy(reason: str, action: str, result: TeamResult | None) -> str:
    if result is not None and result.privacy:
        return result.privacy
    if action == "keep_local":
        return "kept on this device: off-device agents sat out"
    if action == "keep_mine":
        return "kept on your devices: agents outside them sat out"
    return "checked by the team's privacy gate (see Why)" if "; " in reason else "no rule matched"


def _numbers(turn: Turn, result: TeamResult | None) -> tuple[str, ...]:
    usage = turn.usage
    if usage is None:
        return ("no usage recorded",)
    lines = [
        f"{usage.input_tokens} tokens in, {usage.output_tokens} out, over all agents",
        f"wall time {usage.latency_s:.2f} s",
        f"cost {cost_text(usage, turn.route)}",
    ]
    if result is not None:
        lines.insert(0, f"{result.traffic.calls} model calls in {result.rounds} round(s)")
    return tuple(lines)
