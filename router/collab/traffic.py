"""The traffic meter (messages and tokens per edge, usage per call) and the team budget."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from router.collab.records import EdgeTraffic, TeamMessage, TrafficReport
from router.types import Usage


@dataclass
class TrafficMeter:
    """Counts every hop along every edge and every model call's tokens and cost."""

    edge_messages: Counter[tuple[int, int]] = field(default_factory=Counter)
    edge_tokens: Counter[tuple[int, int]] = field(default_factory=Counter)
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def record_message(self, message: TeamMessage) -> None:
        """Count one hop."""
        edge = (message.sender, message.receiver)
        self.edge_messages[edge] += 1
        self.edge_tokens[edge] += message.tokens

    def record_call(self, usage: Usage) -> None:
        """Count one model call."""
        self.calls += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cost_usd += usage.cost_usd

    def report(self) -> TrafficReport:
        """The totals so far, edges in index order."""
        edges = tuple(
            EdgeTraffic(sender=a, receiver=b, messages=n, tokens=self.edge_tokens[(a, b)])
            for (a, b), n in sorted(self.edge_messages.items())
        )
        return TrafficReport(
            edges=edges,
            messages=sum(self.edge_messages.values()),
            message_tokens=sum(self.edge_tokens.values()),
            calls=self.calls,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
        )


@dataclass(frozen=True)
class Budget:
    """Limits on a whole team run: tokens (prompt plus generated) and money."""

    max_tokens: int | None = None
    max_usd: float | None = None

    def spent(self, meter: TrafficMeter) -> str | None:
        """Why the budget is spent, or None while there is some left."""
        used = meter.input_tokens + meter.output_tokens
        if self.max_tokens is not None and used >= self.max_tokens:
            return f"token budget spent: {used} of {self.max_tokens} tokens used"
        if self.max_usd is not None and meter.cost_usd >= self.max_usd:
            return f"money budget spent: ${meter.cost_usd:.4f} of ${self.max_usd:.4f} used"
        return None

    def output_room(self, meter: TrafficMeter, wanted: int, prompt_tokens: int = 0) -> int:
        """How many tokens the next call (reading `prompt_tokens`) may generate within budget."""
        if self.max_tokens is None:
            return wanted
        left = self.max_tokens - meter.input_tokens - meter.output_tokens - prompt_tokens
        return max(0, min(wanted, left))
