"""How a turn is described to the user, shared by the terminal chat and the GUI."""

from __future__ import annotations

from router import RouteDecision, TurnStatus, Usage
from router.privacy.zones import ZONE_NAMES

WHERE = {
    "device": "on this device",
    "mine": "on your devices",
    "cloud": "in the cloud",
}
"""Where an answer ran, by trust zone (router/privacy/zones.py)."""
_ELSEWHERE = "on an edge server outside your devices"
"""An edge not marked as the user's: it counts as the cloud."""
_STATUS_NOTE: dict[TurnStatus, str] = {
    "cancelled": "stopped",
    "incomplete": "interrupted",
    "error": "failed",
    "in_progress": "in progress",
    "complete": "",
}


def zone_label(decision: RouteDecision) -> str:
    """The trust zone an answer came from: `this device`, `your devices`, `cloud`, or, when
    values were replaced first, `redacted → cloud` (or `redacted → your devices`)."""
    where = ZONE_NAMES[decision.zone]
    if decision.zone != "device" and decision.redactions:
        return f"redacted → {where}"
    return where


def route_label(decision: RouteDecision) -> str:
    """Return where a turn ran and the policy's reason, e.g. `on this device (local) · ...`.

    Where is the trust zone; an edge that is not the user's is said to be outside
    their devices, since it counts as the cloud.
    """
    where = WHERE[decision.zone]
    if decision.zone == "cloud" and decision.endpoint_kind == "edge":
        where = _ELSEWHERE
    if decision.zone != "device" and decision.redactions:
        where = f"redacted, then {where}"
    return f"{where} ({decision.endpoint})" + (f" · {decision.reason}" if decision.reason else "")


def stats_line(usage: Usage | None, status: TurnStatus) -> str:
    """Return the answer's tokens, speed and latency, and how it ended if it did not finish."""
    parts: list[str] = []
    if usage is not None:
        parts.append(f"{usage.input_tokens} in / {usage.output_tokens} out tokens")
        parts.append(f"{usage.tokens_per_s:.1f} tok/s")
        if usage.ttft_s is not None:
            parts.append(f"first token {usage.ttft_s:.2f} s")
        parts.append(f"total {usage.latency_s:.2f} s")
        if usage.cost_usd > 0:
            parts.append(f"${usage.cost_usd:.4f}")
    if note := _STATUS_NOTE[status]:
        parts.append(note)
    return " · ".join(parts)
