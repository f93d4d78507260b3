"""The handoff packer: a compact context for whichever endpoint serves a turn.

Messages, in this order:

1. one system message: the system prompt, then the session summary when one
   may be sent. This is the *stable prefix*: it changes only when the summary
   is refreshed, so providers can cache it (Anthropic's `build_messages`
   already puts `cache_control` at the end of the system block, which is
   exactly this message).
2. one user message quoting earlier turns retrieved by relevance to the new
   message, oldest first. It is quoted conversation, not instructions, so it
   is never given the system role.
3. the most recent turns, verbatim, in order.
4. the new message.

Budget rule (`prompt_budget`): the prompt may use the endpoint's context window
minus the tokens reserved for the answer (at most half the window), capped by
`HandoffPlan.remote_prompt_tokens` for off-device endpoints and by
`local_prompt_tokens` on this device. Remote tokens cost money and latency and a
frontier model needs less support, so the remote cap is the tighter one and
the remote endpoint gets at most `retrieved_turns` retrieved turns while the
local model gets up to `local_retrieved_turns`: a small model answers better
with more supporting context, and its tokens are free. Within the budget the
order of priority is: the system prompt and new message (required), the recent
turns (newest first), the summary, then retrieved turns by score.

Privacy: for a remote endpoint, keep-local turns and a keep-local summary are
never candidates; in the cloud (an edge not marked `mine` included), keep_mine ones
are not either (router/privacy/zones.py). The pipeline's redaction and egress check still run on the
result; this is defence in depth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from router.context.retrieval import Retriever
from router.context.settings import ContextSettings
from router.context.turns import HistoryTurn, ScoredTurn
from router.endpoints.base import Endpoint
from router.errors import EmptyPromptError, PromptTooLongError
from router.ledger.summaries import SessionSummary
from router.privacy.zones import KEPT, may_reach
from router.types import Message, PackedContext, TurnRequest

SUMMARY_HEADING = "Summary of the conversation so far:"
RETRIEVED_HEADING = "Earlier in this conversation (excerpts picked for relevance, oldest first):"


@dataclass(frozen=True)
class HandoffPlan:
    """How much earlier context a turn may carry; see the module's budget rule."""

    recent_turns: int = 3
    """Latest turns sent verbatim."""
    retrieved_turns: int = 8
    """Most retrieved turns for a remote endpoint."""
    local_retrieved_turns: int = 16
    """Most retrieved turns for the on-device model."""
    remote_prompt_tokens: int = 4000
    """Cap on a remote prompt, in tokens (0: no cap beyond the window)."""
    local_prompt_tokens: int = 0
    """Cap on a local prompt, in tokens (0: the whole window less the answer)."""
    prompt_budget: int | None = None
    """Exact prompt budget, overriding the caps (benchmarks, tests)."""


@dataclass(frozen=True)
class PackedHandoff:
    """A packed context and what went into it."""

    packed: PackedContext
    """The messages, their token count and how many history turns were left out."""
    stable_prefix_messages: int
    """Leading messages that stay the same from turn to turn (cacheable): 0 or 1."""
    included_turn_seqs: tuple[int, ...]
    """Seqs of the history turns in the context, retrieved or recent, ascending."""
    retrieved_turn_seqs: tuple[int, ...]
    """Seqs of the retrieved (not recent) turns, ascending."""
    summary_used: bool
    """Whether the session summary is in the stable prefix."""
    dropped_turns: int
    """History turns left out (for lack of room or of relevance, or kept local)."""
    withheld_turns: int
    """Of those, keep-local turns withheld because the endpoint is remote."""
    budget: int
    """The prompt budget the context was packed under."""


def prompt_budget(endpoint: Endpoint, reserve_output_tokens: int, plan: HandoffPlan) -> int:
    """Tokens the prompt may use on `endpoint` (see the module's budget rule)."""
    window = endpoint.context_window
    room = window - min(reserve_output_tokens, window // 2)
    if plan.prompt_budget is not None:
        return min(room, plan.prompt_budget)
    cap = plan.remote_prompt_tokens if not endpoint.on_device else plan.local_prompt_tokens
    return min(room, cap) if cap > 0 else room


def _add_recent(
    builder: _Builder, eligible: Sequence[HistoryTurn], wanted: int, budget: int
) -> None:
    """Recent turns, newest first, stopping at the first that does not fit.

    Stopping there, not skipping it, keeps the verbatim tail contiguous.
    """
    for turn in reversed(eligible[len(eligible) - wanted :] if wanted else []):
        builder.recent.insert(0, turn)
        if builder.count() > budget:
            builder.recent.pop(0)
            break


def _ranked(retriever: Retriever, text: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
    """The retriever's ranking of `candidates` for `text`, restricted to them.

    Only candidates may come back, whatever the retriever returns: a retriever
    bug must not reintroduce a withheld or recent turn.
    """
    allowed = {t.seq: t for t in candidates}
    return [s for s in retriever.rank(text, candidates) if allowed.get(s.turn.seq) == s.turn]


def pack_handoff(
    request: TurnRequest,
    history: Sequence[HistoryTurn],
    endpoint: Endpoint,
    *,
    system_prompt: str,
    reserve_output_tokens: int,
    plan: HandoffPlan | None = None,
    summary: SessionSummary | None = None,
    retriever: Retriever | None = None,
) -> PackedHandoff:
    """Pack the new message with the context that fits `endpoint`'s budget.

    Raises `EmptyPromptError` for an empty message and `PromptTooLongError`
    when the system prompt and the new message alone exceed the budget.
    """
    plan = plan or HandoffPlan()
    if not request.text.strip():
        raise EmptyPromptError("the message is empty", "type a question first")
    budget = prompt_budget(endpoint, reserve_output_tokens, plan)
    remote = not endpoint.on_device
    ordered = sorted(history, key=lambda t: t.seq)
    # Kept turns go only where their verdict allows (router/privacy/zones.py).
    eligible = [t for t in ordered if may_reach(t.privacy_action, endpoint.zone)]
    builder = _Builder(endpoint, system_prompt, request)
    needed = builder.count()
    if needed > budget:
        raise PromptTooLongError(
            f"the message is about {needed} tokens but {endpoint.name} accepts at most "
            f"{budget} for the prompt (context window {endpoint.context_window})",
            "shorten it, split it over several turns, or raise [local] n_ctx in the config",
        )
    _add_recent(builder, eligible, plan.recent_turns, budget)
    if summary and summary.text.strip() and may_reach(summary.privacy_action, endpoint.zone):
        builder.summary = summary.text.strip()
        if builder.count() > budget:
            builder.summary = ""
    limit = plan.retrieved_turns if remote else plan.local_retrieved_turns
    recent_seqs = {t.seq for t in builder.recent}
    candidates = [t for t in eligible if t.seq not in recent_seqs]
    if retriever is not None and candidates and limit > 0:
        _add_retrieved(builder, _ranked(retriever, request.text, candidates), limit, budget)
    messages = builder.messages()
    if messages[0].role == "system":  # system prompt + summary: the stable prefix
        messages = (messages[0].model_copy(update={"cache_breakpoint": True}), *messages[1:])
    included = sorted([*recent_seqs, *(s.turn.seq for s in builder.retrieved)])
    dropped = len(ordered) - len(included)
    return PackedHandoff(
        packed=_packed(builder, messages, dropped, summary),
        stable_prefix_messages=1 if messages[0].role == "system" else 0,
        included_turn_seqs=tuple(included),
        retrieved_turn_seqs=tuple(sorted(s.turn.seq for s in builder.retrieved)),
        summary_used=bool(builder.summary),
        dropped_turns=dropped,
        withheld_turns=len(ordered) - len(eligible),
        budget=budget,
    )


def _packed(
    builder: _Builder, messages: tuple[Message, ...], dropped: int, summary: SessionSummary | None
) -> PackedContext:
    """The packed context, marked when its turns or summary carry text kept off the cloud
    (on this device, or on the user's devices)."""
    turns = [*builder.recent, *(s.turn for s in builder.retrieved)]
    kept = any(t.privacy_action in KEPT for t in turns) or (
        bool(builder.summary) and summary is not None and summary.privacy_action in KEPT
    )
    return PackedContext(
        messages=messages,
        input_tokens=builder.count(),
        dropped_turns=dropped,
        holds_kept_local=kept,
    )


def _add_retrieved(
    builder: _Builder, ranked: Sequence[ScoredTurn], limit: int, budget: int
) -> None:
    """Add the best-ranked turns that fit, then trim to the exact budget.

    Each turn's cost is estimated from its own line (counting the whole prompt
    per candidate would be quadratic); the exact count of the assembled prompt
    then drops the lowest-ranked additions until it fits.
    """
    used = builder.count() + builder.line_cost(RETRIEVED_HEADING)
    labels: set[str] = set()
    for scored in ranked:
        if len(builder.retrieved) >= limit:
            break
        turn = scored.turn
        cost = builder.line_cost(turn.render())
        if turn.label and turn.label not in labels:
            cost += builder.line_cost(f"({turn.label})")  # its label line, written once
        if used + cost > budget:
            continue  # a shorter, lower-ranked turn may still fit
        builder.retrieved.append(scored)
        labels.add(turn.label)
        used += cost
    while builder.retrieved and builder.count() > budget:
        builder.retrieved.pop()


class _Builder:
    """The parts of a packed context; renders and counts them on demand."""

    def __init__(self, endpoint: Endpoint, system_prompt: str, request: TurnRequest) -> None:
        self.endpoint = endpoint
        self.system_prompt = system_prompt
        self.current = Message(role="user", content=request.text, attachments=request.attachments)
        self.summary = ""
        self.recent: list[HistoryTurn] = []
        self.retrieved: list[ScoredTurn] = []
        self._empty = endpoint.count_tokens([Message(role="user", content="")])

    def line_cost(self, text: str) -> int:
        """Estimated tokens `text` adds as a line of an existing message."""
        return max(
            self.endpoint.count_tokens([Message(role="user", content=text)]) - self._empty, 0
        )

    def count(self) -> int:
        """Exact tokens of the current messages on the endpoint."""
        return self.endpoint.count_tokens(self.messages())

    def messages(self) -> tuple[Message, ...]:
        """The context as messages, in the order the module describes."""
        out: list[Message] = []
        system = "\n\n".join(
            p
            for p in (self.system_prompt, self.summary and f"{SUMMARY_HEADING}\n{self.summary}")
            if p
        )
        if system:
            out.append(Message(role="system", content=system))
        if self.retrieved:
            out.append(
                Message(role="user", content=render_retrieved(s.turn for s in self.retrieved))
            )
        for turn in self.recent:
            out.extend(m for m in turn.messages if m.content or m.attachments or m.tool_results)
        out.append(self.current)
        return tuple(out)


def render_retrieved(turns: Iterable[HistoryTurn]) -> str:
    """Retrieved turns as one dense block, oldest first.

    A label line (e.g. a date) is written only when it changes, and `…` marks a
    gap between turns that were not adjacent, so the model can tell excerpts apart.
    """
    chosen = sorted(turns, key=lambda t: t.seq)
    lines = [RETRIEVED_HEADING]
    label: str | None = None
    previous: int | None = None
    for turn in chosen:
        if turn.label and turn.label != label:
            lines.append(f"({turn.label})")
            label = turn.label
        elif previous is not None and turn.seq != previous + 1:
            lines.append("…")
        lines.append(turn.render())
        previous = turn.seq
    return "\n".join(lines)


def plan_from_settings(settings: ContextSettings) -> HandoffPlan:
    """The plan the `[context]` settings describe."""
    return HandoffPlan(
        recent_turns=settings.recent_turns,
        retrieved_turns=settings.retrieved_turns,
        local_retrieved_turns=settings.local_retrieved_turns,
        remote_prompt_tokens=settings.remote_prompt_tokens,
        local_prompt_tokens=settings.local_prompt_tokens,
    )
