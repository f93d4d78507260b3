"""What a turn sent and what stayed on this device, for the chat's badge and detail panel.

The panel lists the request exactly as it left the device, message by message:
while a turn is watched live from `RouteChosen` (or `EscalationStarted`), and
afterwards from the ledger's record of sent requests (`Ledger.sent`), so it
survives a restart. The rest comes from what the ledger records too: the route
decision (endpoint, reason, redacted types, attachments sent, privacy verdict),
the usage, and the session's placeholders. The question's outbound text is
rebuilt with the same `Pseudonymizer` the pipeline uses, so it shows exactly the
placeholders that left the device; turns older than the record of sent requests
show only that, labelled as rebuilt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.present.turn import zone_label
from router import Attachment, Message, RouteDecision, SentRequest, TurnStatus, Usage, is_on_device

_CAPTION = "The whole request, exactly as it left"
_ZONE_TEXT = {
    "device": "this device: nothing left it",
    "mine": "your devices: {endpoint} is an edge you marked as yours; nothing went to the cloud",
    "cloud": "cloud: {endpoint} is a cloud provider",
}
_OTHER_EDGE = "cloud: {endpoint} is an edge server not marked as yours, so it counts as the cloud"


def is_remote(decision: RouteDecision) -> bool:
    """True when the turn was answered off this device (cloud or edge)."""
    return not is_on_device(decision.endpoint_kind)


def where_badge(decision: RouteDecision) -> str:
    """The short badge of the trust zone a turn ran in: device, your devices, cloud (an
    edge that is not the user's included), redacted → cloud (or → your devices), or team."""
    if decision.policy == "team":
        return "team"
    if decision.zone == "device":
        return "device"
    return zone_label(decision)


def zone_text(decision: RouteDecision) -> str:
    """The zone in words for the detail panel, e.g. `your devices: desk is an edge ...`."""
    if decision.zone == "cloud" and decision.endpoint_kind == "edge":
        return _OTHER_EDGE.format(endpoint=decision.endpoint)
    return _ZONE_TEXT[decision.zone].format(endpoint=decision.endpoint)


def cost_text(usage: Usage | None, decision: RouteDecision | None) -> str:
    """The money a turn cost; on the device it is free."""
    if usage is None:
        return ""
    if usage.cost_usd > 0:
        return f"${usage.cost_usd:.4f}"
    return "free (on this device)" if decision and not is_remote(decision) else "$0.0000"


@dataclass(frozen=True)
class TurnDetail:
    """Everything the detail panel shows about one answered turn."""

    badge: str
    endpoint: str
    reason: str
    policy: str
    privacy: str
    """The privacy verdict in words: nothing found, redacted types, or kept local and why."""
    sent_text: str | None
    """The question as it left the device (placeholders in place); None if nothing left."""
    sent_text_rebuilt: bool
    """True when `sent_text` is all there is: rebuilt, as no record of the request exists."""
    sent: tuple[str, ...]
    """What went to the endpoint besides the question: history, attachments, prompt size."""
    sent_messages: tuple[str, ...]
    """Every message of the request exactly as it left the device, as `role: text`."""
    sent_caption: str
    """What `sent_messages` is, e.g. the last of several requests; empty when there is none."""
    kept_local: tuple[str, ...]
    """What did not leave the device: the whole turn, replaced values, attachments held back."""
    numbers: tuple[str, ...]
    """Tokens, latency and cost."""
    zone: str = ""
    """The trust zone the answer came from, in words (`zone_text`)."""
    team_messages: tuple[str, ...] = ()
    """For a team answer: each message between its agents, e.g. `a1 -> a2 · 12 tok: ...`."""
    team_caption: str = ""
    """What `team_messages` is, or why it is empty (e.g. the run was before a restart)."""


def build_detail(
    *,
    user_text: str,
    attachments: Sequence[Attachment],
    decision: RouteDecision,
    usage: Usage | None,
    status: TurnStatus | None,
    placeholders: Mapping[str, str],
    sent_text: str,
    input_tokens: int | None = None,
    dropped_turns: int | None = None,
    sent_messages: Sequence[Message] = (),
    recorded: Sequence[SentRequest] = (),
) -> TurnDetail:
    """Describe one turn; `placeholders` maps the session's protected values to placeholders.

    `sent_text` is the question as the pipeline redacted it for an off-device
    endpoint (ignored for on-device turns, where nothing leaves).
    `sent_messages` is the request as it left the device (from `RouteChosen`),
    when the turn was watched live; `recorded` is the ledger's record of the
    requests it sent (`Ledger.sent`), which is listed instead when given. Without
    either, an off-device turn shows only its rebuilt question.
    """
    remote = is_remote(decision)
    names_sent = set(decision.attachments_sent)
    held_back = [a.name for a in attachments if a.name not in names_sent]
    replaced = [(v, p) for v, p in placeholders.items() if v and v in user_text]
    if remote:
        sent = [f"to {decision.endpoint} ({decision.endpoint_kind}, zone: {zone_label(decision)})"]
        if input_tokens is not None:
            sent.append(f"{input_tokens} prompt tokens in all (system prompt and history included)")
        if dropped_turns:
            sent.append(f"{dropped_turns} earlier turns left out to fit the context")
        sent += [f"attachment {name}" for name in decision.attachments_sent]
        kept = [f"{value} (sent as {ph})" for value, ph in replaced]
        kept += [f"attachment {name} (not sent)" for name in held_back]
        if not kept:
            kept.append("nothing held back: no privacy rule matched this turn")
    else:
        sent = ["nothing: the turn was answered on this device"]
        kept = ["the whole turn: question, history and attachments"]
    lines, caption = _request(sent_messages, recorded) if remote else ((), "")
    return TurnDetail(
        badge=where_badge(decision),
        endpoint=decision.endpoint,
        reason=decision.reason,
        policy=decision.policy,
        privacy=_privacy_text(decision, replaced),
        sent_text=sent_text if remote else None,
        sent_text_rebuilt=remote and not lines,
        sent=tuple(sent),
        sent_messages=lines,
        sent_caption=caption,
        kept_local=tuple(kept),
        numbers=_numbers(usage, decision, status),
        zone=zone_text(decision),
    )


def message_lines(messages: Sequence[Message]) -> tuple[str, ...]:
    """A request's messages as the panel lists them: `role: text`, then what they carry."""
    lines = []
    for m in messages:
        parts = [f"{m.role}: {m.content}"]
        parts += [
            f"[attached {f.name}, {f.mime_type}, {f.size_bytes} bytes]" for f in m.attachments
        ]
        parts += [f"[tool call {c.name} {json.dumps(c.arguments)}]" for c in m.tool_calls]
        parts += [f"[tool result: {r.content}]" for r in m.tool_results]
        lines.append("\n".join(parts))
    return tuple(lines)


def _request(
    live: Sequence[Message], recorded: Sequence[SentRequest]
) -> tuple[tuple[str, ...], str]:
    """The request to list, and its caption: the last one recorded, else the live one.

    The record wins because it also holds the requests of later tool rounds.
    """
    if not recorded:
        return (message_lines(live), _CAPTION + ":") if live else ((), "")
    caption = _CAPTION
    if len(recorded) > 1:
        # Each tool round resends the whole request plus the round, so the last holds them all.
        caption += (
            f" (the last of {len(recorded)} requests: each resent the one before, "
            "with a tool round added)"
        )
    return message_lines(recorded[-1].messages), caption + ":"


def _privacy_text(decision: RouteDecision, replaced: Sequence[tuple[str, str]]) -> str:
    if decision.privacy_action == "keep_local":
        return f"kept on this device: {decision.reason.removeprefix('kept local: ')}"
    if decision.privacy_action == "keep_mine":
        kept = f"kept on your devices: {decision.reason.removeprefix('kept on your devices: ')}"
        if decision.redactions:
            kept += f"; redacted even there: {', '.join(decision.redactions)}"
        return kept
    if decision.redactions:
        return f"redacted before sending: {', '.join(decision.redactions)}"
    if replaced:
        return "earlier values of this conversation sent as placeholders"
    return "no privacy rule matched"


def _numbers(
    usage: Usage | None, decision: RouteDecision, status: TurnStatus | None
) -> tuple[str, ...]:
    if usage is None:
        return (f"no usage recorded (the turn is {status or 'unfinished'})",)
    lines = [
        f"{usage.input_tokens} tokens in, {usage.output_tokens} out",
        f"latency {usage.latency_s:.2f} s"
        + (f", first token after {usage.ttft_s:.2f} s" if usage.ttft_s is not None else ""),
        f"cost {cost_text(usage, decision)}",
    ]
    if usage.cache_read_tokens:
        lines.append(f"{usage.cache_read_tokens} prompt tokens read from the provider's cache")
    return tuple(lines)
