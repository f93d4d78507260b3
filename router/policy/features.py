"""Per-turn features for routing, computed on the device in well under a millisecond.

Everything here is a cheap rule (regexes, counts, dictionary look-ups) except the
optional sentence embedding, which sharpens the difficulty estimate when the
caller passes an embedder. Endpoint state (reachability, measured latency) and
the remaining money come from the endpoints, a `LatencyTracker` and the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from router.endpoints.base import Endpoint
from router.memory.embedding import Embedder
from router.policy.classify import (
    EMBED_CHARS,
    FOLLOWUP,
    TASKS,
    Task,
    classify_task,
    detect_language,
    embedding_difficulty,
    heuristic_difficulty,
)
from router.policy.latency import LatencyTracker
from router.policy.resources import ResourceState
from router.tokens import estimate_tokens, tokens_in_chars
from router.types import (
    Attachment,
    EndpointKind,
    FindingAction,
    Message,
    PrivacyReport,
    TurnRequest,
    Zone,
    is_on_device,
    zone_of,
)

if TYPE_CHECKING:
    from router.ledger.store import Ledger
    from router.memory.embedding import Vectors

# The text rules lived here first; other modules import them from here too.
__all__ = [
    "MODALITIES",
    "TASKS",
    "AttachmentInfo",
    "BudgetLimits",
    "Budgets",
    "Embedder",
    "EndpointState",
    "LatencyTracker",
    "Modality",
    "ResourceState",
    "Task",
    "TurnFeatures",
    "attachment_excerpt",
    "attachment_tokens",
    "classify_task",
    "compute_features",
    "days_left_in_month",
    "detect_language",
    "embedding_difficulty",
    "endpoint_states",
    "heuristic_difficulty",
    "kept_local_attachments",
    "modality_of",
]

Modality = Literal["image", "text", "document", "audio", "video", "other"]
MODALITIES: tuple[Modality, ...] = ("image", "text", "document", "audio", "video", "other")


@dataclass(frozen=True)
class AttachmentInfo:
    """One attachment as routing sees it: kind, size, token cost, privacy."""

    name: str
    modality: Modality
    size_bytes: int
    tokens: int
    kept_local: bool = False
    excerpt: str = ""
    """Text used to judge relevance: a text file's opening, else the file name's words."""


@dataclass(frozen=True)
class EndpointState:
    """What routing knows about one endpoint right now."""

    name: str
    kind: EndpointKind
    available: bool
    context_window: int
    price_in_per_token: float
    price_out_per_token: float
    latency_s: float | None = None
    """Rolling mean of measured whole-answer latency; None until a turn was measured."""
    ttft_s: float | None = None
    """Rolling mean of measured time to first token (the round trip)."""
    tokens_per_s: float | None = None
    """Rolling mean of measured decode throughput, output tokens a second."""
    handoff_tokens: int | None = None
    """Context tokens the handoff packer would send this endpoint besides the new turn
    (system prompt, summary, earlier turns); None when not packed: the raw history counts."""
    mine: bool = False
    """An edge marked as one of the user's devices."""

    @property
    def remote(self) -> bool:
        """True for endpoints off the device."""
        return not is_on_device(self.kind)

    @property
    def zone(self) -> Zone:
        """Its trust zone: this device, the user's devices, or the cloud."""
        return zone_of(self.kind, self.mine)


@dataclass(frozen=True)
class Budgets:
    """Money left (USD; None = no limit), the latency target (seconds; None = none) and the
    seconds left of the conversation's latency budget (None = no such budget)."""

    day_usd: float | None = None
    month_usd: float | None = None
    conversation_usd: float | None = None
    latency_target_s: float | None = None
    conversation_s: float | None = None

    def remaining(self) -> float | None:
        """The tightest money budget left, or None when nothing is limited."""
        values = [v for v in (self.day_usd, self.month_usd, self.conversation_usd) if v is not None]
        return min(values) if values else None

    def exhausted(self) -> bool:
        """True when some money budget has nothing left."""
        left = self.remaining()
        return left is not None and left <= 0.0


@dataclass(frozen=True)
class TurnFeatures:
    """Everything a policy may look at for one turn."""

    chars: int
    tokens: int
    language: str
    task: Task
    difficulty: float
    followup: bool
    attachments: tuple[AttachmentInfo, ...]
    history_tokens: int
    history_turns: int
    keep_local: bool
    privacy_action: FindingAction
    endpoints: Mapping[str, EndpointState]
    budgets: Budgets = field(default_factory=Budgets)
    previous_endpoint: str | None = None
    session_id: str = ""
    embedding: Vectors | None = None
    question: str = ""
    """The turn's text, for routers whose features need it (cheap text statistics)."""
    resources: ResourceState = field(default_factory=ResourceState)
    """Battery and network at the start of the turn (router/policy/resources.py)."""

    @property
    def online(self) -> bool:
        """True when at least one off-device endpoint is reachable."""
        return any(s.remote and s.available for s in self.endpoints.values())

    @property
    def modalities(self) -> frozenset[str]:
        """The attachment modalities present in the turn."""
        return frozenset(a.modality for a in self.attachments)


@dataclass(frozen=True)
class BudgetLimits:
    """Configured money limits (USD), latency target and seconds per conversation; None means
    unlimited."""

    per_day_usd: float | None = None
    per_month_usd: float | None = None
    per_conversation_usd: float | None = None
    latency_target_s: float | None = None
    per_conversation_s: float | None = None

    def remaining(
        self, ledger: Ledger | None, session_id: str, now: datetime | None = None
    ) -> Budgets:
        """What is left of each limit after the spend the ledger recorded."""
        if ledger is None:
            return Budgets(
                self.per_day_usd,
                self.per_month_usd,
                self.per_conversation_usd,
                self.latency_target_s,
                self.per_conversation_s,
            )
        now = now or datetime.now(UTC)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        month_start = day_start.replace(day=1)

        def left(limit: float | None, **query: object) -> float | None:
            if limit is None:
                return None
            return limit - ledger.spend_usd(**query)  # type: ignore[arg-type]

        return Budgets(
            day_usd=left(self.per_day_usd, since=day_start),
            month_usd=left(self.per_month_usd, since=month_start),
            conversation_usd=left(self.per_conversation_usd, session_id=session_id),
            latency_target_s=self.latency_target_s,
            conversation_s=self._seconds_left(ledger, session_id),
        )

    def _seconds_left(self, ledger: Ledger, session_id: str) -> float | None:
        """The conversation's latency budget less the time its recorded answers took."""
        if self.per_conversation_s is None:
            return None
        turns = ledger.turns(session_id)
        return self.per_conversation_s - sum(t.usage.latency_s for t in turns if t.usage)


def modality_of(attachment: Attachment) -> Modality:
    """The attachment's modality from its MIME type."""
    mime = attachment.mime_type
    for prefix, modality in (("image/", "image"), ("audio/", "audio"), ("video/", "video")):
        if mime.startswith(prefix):
            return modality  # type: ignore[return-value]
    if mime.startswith("text/") or mime in ("application/json", "application/xml"):
        return "text"
    if mime in ("application/pdf", "application/msword") or "officedocument" in mime:
        return "document"
    return "other"


def attachment_tokens(attachment: Attachment) -> int:
    """Rough prompt tokens an attachment costs: images a flat tile cost, text by bytes."""
    modality = modality_of(attachment)
    if modality == "image":
        # Vision APIs bill images by area; ~1.2k tokens is a typical 1-megapixel photo.
        return min(1600, 85 + attachment.size_bytes // 750)
    if modality in ("text", "document"):
        return tokens_in_chars(attachment.size_bytes) + 8
    return attachment.size_bytes // 1000 + 8


def attachment_excerpt(attachment: Attachment, limit: int = 512) -> str:
    """Cheap relevance text: the file name's words, plus a text file's first bytes.

    Without a vision model on the device an image is known by its name only
    ("rear_bumper_view.jpg" -> "rear bumper view").
    """
    stem = attachment.name.rsplit(".", 1)[0]
    words = re.sub(r"[_\-.]+", " ", stem)
    if modality_of(attachment) != "text" or not attachment.path:
        return words
    try:
        with open(attachment.path, "rb") as handle:
            head = handle.read(limit).decode("utf-8", errors="ignore")
    except OSError:
        return words
    return f"{words}\n{head}"


def kept_local_attachments(report: PrivacyReport, attachments: Sequence[Attachment]) -> set[str]:
    """Names of attachments a keep-local verdict applies to (their findings made it).

    The scanner reports an attachment's findings with part `attachment` and the
    file name (text) or path (images) as source; a keep-local turn with such a
    finding keeps that attachment on the device whatever a policy decides.
    """
    if not report.keep_local:
        return set()
    sources = {f.source for f in report.findings if f.part == "attachment"}
    kept = {a.name for a in attachments if a.name in sources or (a.path or a.name) in sources}
    # When the rule that fired names no attachment, the whole turn stays anyway.
    return kept or {a.name for a in attachments}


def endpoint_states(
    endpoints: Mapping[str, Endpoint],
    tracker: LatencyTracker | None = None,
    handoff_tokens: Mapping[str, int] | None = None,
) -> dict[str, EndpointState]:
    """Snapshot every endpoint: reachability, window, price, measured speed, packed context."""
    states: dict[str, EndpointState] = {}
    handoff = handoff_tokens or {}
    for name, endpoint in endpoints.items():
        states[name] = EndpointState(
            name=name,
            kind=endpoint.kind,
            available=endpoint.available(),
            context_window=endpoint.context_window,
            price_in_per_token=endpoint.cost(1_000_000, 0) / 1_000_000,
            price_out_per_token=endpoint.cost(0, 1_000_000) / 1_000_000,
            latency_s=tracker.latency_s(name) if tracker else None,
            ttft_s=tracker.ttft_s(name) if tracker else None,
            tokens_per_s=tracker.tokens_per_s(name) if tracker else None,
            handoff_tokens=handoff.get(name),
            mine=endpoint.mine,
        )
    return states


def compute_features(
    request: TurnRequest,
    report: PrivacyReport,
    history: Sequence[Message],
    endpoints: Mapping[str, Endpoint] | Mapping[str, EndpointState],
    *,
    budgets: Budgets | None = None,
    tracker: LatencyTracker | None = None,
    previous_endpoint: str | None = None,
    embedder: Embedder | None = None,
    resources: ResourceState | None = None,
    handoff_tokens: Mapping[str, int] | None = None,
) -> TurnFeatures:
    """Compute the turn's features; with `embedder`, difficulty also uses the embedding.

    `resources`: the device's battery and network now; `handoff_tokens`: per
    endpoint, the context tokens the handoff packer would send it.
    """
    text = request.text
    task = classify_task(text)
    difficulty = heuristic_difficulty(text, task)
    followup = bool(history) and len(text) <= 60 and bool(FOLLOWUP.match(text))
    if followup:
        # "do it" is as hard as the question it continues.
        last_user = next((m.content for m in reversed(history) if m.role == "user"), "")
        difficulty = max(difficulty, heuristic_difficulty(last_user, classify_task(last_user)))
    vector: Vectors | None = None
    if embedder is not None:
        # The opening of a question says what kind it is; embedding all of it costs
        # time linear in its length (a 500-character question takes 4x as long).
        vector = embedder.embed([text[:EMBED_CHARS]])[0]
        difficulty = 0.5 * difficulty + 0.5 * embedding_difficulty(vector, embedder)
    attachments = _attachment_infos(request, report)
    states: dict[str, EndpointState] = {}
    for name, value in endpoints.items():
        states[name] = (
            value
            if isinstance(value, EndpointState)
            else endpoint_states({name: value}, tracker, handoff_tokens)[name]
        )
    return TurnFeatures(
        question=text,
        chars=len(text),
        tokens=estimate_tokens(text) + 1,
        language=detect_language(text),
        task=task,
        difficulty=round(difficulty, 4),
        followup=followup,
        attachments=attachments,
        history_tokens=sum(estimate_tokens(m.content) + 5 for m in history),
        history_turns=sum(1 for m in history if m.role == "user"),
        keep_local=report.keep_local,
        privacy_action=report.action,
        endpoints=states,
        budgets=budgets or Budgets(),
        previous_endpoint=previous_endpoint,
        session_id=request.session_id,
        embedding=vector,
        resources=resources or ResourceState(),
    )


def _attachment_infos(request: TurnRequest, report: PrivacyReport) -> tuple[AttachmentInfo, ...]:
    """What routing needs to know of each attachment, and whether privacy keeps it local."""
    kept = kept_local_attachments(report, request.attachments)
    return tuple(
        AttachmentInfo(
            name=a.name,
            modality=modality_of(a),
            size_bytes=a.size_bytes,
            tokens=attachment_tokens(a),
            kept_local=a.name in kept,
            excerpt=attachment_excerpt(a),
        )
        for a in request.attachments
    )


def days_left_in_month(now: datetime) -> int:
    """Days from `now` to the end of its month, today included."""
    first_next = (now.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (first_next.date() - now.date()).days
