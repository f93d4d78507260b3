"""How a turn is described to the user, shared by the terminal chat and the GUI."""

from __future__ import annotations

from router import RouteDecision, TurnStatus, Usage

WHERE = {
    "local": "on this device",
    "edge": "on your edge server",
    "cloud": "in the cloud",
}
_STATUS_NOTE: dict[TurnStatus, str] = {
    "cancelled": "stopped",
    "incomplete": "interrupted",
    "error": "failed",
    "in_progress": "in progress",
    "complete": "",
}


def route_label(decision: RouteDecision) -> str:
    """Return where a turn ran and the policy's reason, e.g. `on this device (local) · ...`."""
    where = WHERE.get(decision.endpoint_kind, decision.endpoint_kind)
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
