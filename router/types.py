"""Typed wire shapes that travel between the stages of a turn.

Every value that crosses a stage boundary is one of these models, so a turn can
be followed, persisted and explained without reading log lines.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

Role = Literal["system", "user", "assistant"]
EndpointKind = Literal["local", "cloud", "edge"]
"""Where an endpoint runs: `local` is this device; `cloud` and `edge` are off it."""
TurnStatus = Literal["in_progress", "complete", "incomplete", "cancelled", "error"]
FindingAction = Literal["keep_local", "keep_mine", "redact", "allow"]
"""What a privacy rule does: keep on this device, keep on my devices, redact, or allow."""
KEPT_ACTIONS: frozenset[FindingAction] = frozenset({"keep_local", "keep_mine"})
"""The actions that keep a turn out of the cloud (router/privacy/zones.py)."""
Zone = Literal["device", "mine", "cloud"]
"""A trust zone: this device, my devices (this one and edges marked `mine`), or the cloud."""
MessagePart = Literal["text", "attachment", "history", "tool_result"]


def new_id() -> str:
    """Return a fresh random identifier for a turn or a session."""
    return uuid.uuid4().hex


def is_on_device(kind: str) -> bool:
    """True for an endpoint kind that runs on this device, so nothing sent to it leaves it.

    The one place that says which kinds are on the device; code holding an
    `Endpoint` asks `endpoint.on_device`, code holding only a recorded
    `RouteDecision.endpoint_kind` (the GUI, the ledger) asks this.
    """
    return kind == "local"


def zone_of(kind: str, mine: bool = False) -> Zone:
    """The trust zone of an endpoint of `kind`; `mine` marks an edge server as the user's own.

    Only an edge can be the user's: a cloud provider, or an edge not marked
    `mine`, is the cloud zone (router/privacy/zones.py says what may go where).
    """
    if is_on_device(kind):
        return "device"
    return "mine" if mine and kind == "edge" else "cloud"


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Attachment(_Frozen):
    """A file the user attached to a turn."""

    name: str = Field(description="File name shown to the user, without directories.")
    mime_type: str = Field(description="MIME type, e.g. `image/png` or `text/plain`.")
    size_bytes: int = Field(ge=0, description="Size of the file in bytes.")
    path: str | None = Field(
        default=None, description="Where the file lives on this device, if it is a file."
    )


class ToolSpec(_Frozen):
    """A tool a model may call, described for the model."""

    name: str = Field(description="Tool name the model uses to call it.")
    description: str = Field(default="", description="What the tool does, for the model.")
    input_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the tool's arguments.",
    )


class ToolCall(_Frozen):
    """A model's request to run a tool."""

    id: str = Field(description="Id linking the call to its result.")
    name: str = Field(description="Which tool to run.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="The tool's arguments.")


class ToolResult(_Frozen):
    """What running a tool returned, sent back to the model."""

    call_id: str = Field(description="Id of the `ToolCall` this answers.")
    content: str = Field(description="The tool's output as text.")
    is_error: bool = Field(default=False, description="True if the tool failed.")


class Message(_Frozen):
    """One chat message as an endpoint sees it."""

    role: Role = Field(description="Who wrote the message.")
    content: str = Field(description="The message text.")
    attachments: tuple[Attachment, ...] = Field(
        default=(), description="Files attached to this message."
    )
    tool_calls: tuple[ToolCall, ...] = Field(
        default=(), description="Tools the assistant asked to run (assistant messages)."
    )
    tool_results: tuple[ToolResult, ...] = Field(
        default=(), description="Results of earlier tool calls (user messages)."
    )
    cache_breakpoint: bool = Field(
        default=False,
        description="The prompt up to and including this message is stable across requests: "
        "providers with prompt caching cache it here.",
    )


class Usage(_Frozen):
    """What one generation cost: tokens, time and money."""

    input_tokens: int = Field(default=0, ge=0, description="Prompt tokens the endpoint read.")
    output_tokens: int = Field(default=0, ge=0, description="Tokens the endpoint generated.")
    ttft_s: float | None = Field(
        default=None,
        ge=0,
        description="Seconds from the request to the first generated token; None if none came.",
    )
    latency_s: float = Field(default=0.0, ge=0, description="Seconds from request to last token.")
    cache_write_tokens: int = Field(
        default=0, ge=0, description="Prompt tokens written to the provider's prompt cache."
    )
    cache_read_tokens: int = Field(
        default=0, ge=0, description="Prompt tokens served from the provider's prompt cache."
    )
    cost_usd: float = Field(default=0.0, ge=0, description="Money charged for the call, in USD.")

    @computed_field(description="Decode speed: output tokens per second after the first token.")  # type: ignore[prop-decorator]
    @property
    def tokens_per_s(self) -> float:
        """Return the decode speed, excluding the time to the first token."""
        if self.ttft_s is None or self.output_tokens < 2:
            return 0.0
        decode_s = self.latency_s - self.ttft_s
        return (self.output_tokens - 1) / decode_s if decode_s > 0 else 0.0


class Finding(_Frozen):
    """Something sensitive a detector found in one part of a turn."""

    type: str = Field(
        description="What was found, e.g. `CREDIT_CARD`, `EMAIL`, `PERSON`, `API_KEY`, `TOPIC`."
    )
    category: str = Field(
        default="",
        description="For `TOPIC` findings the sensitive subject (`health`, `finances`, "
        "`legal`, `sexual_orientation`, `religion`, `minors`, ...); `public` for a name "
        "that is public knowledge in its context (router/privacy/public.py); empty otherwise.",
    )
    start: int = Field(ge=0, description="Start offset of the span in the scanned text.")
    end: int = Field(ge=0, description="End offset (exclusive) of the span.")
    part: MessagePart = Field(default="text", description="Which part of the turn was scanned.")
    confidence: float = Field(ge=0, le=1, description="Detector confidence in [0, 1].")
    detector: str = Field(description="Name of the detector that produced the finding.")
    source: str = Field(
        default="",
        description="Which message or attachment of the part, e.g. `history[3]` or a file name.",
    )


class ProtectedValue(_Frozen):
    """One exact value a privacy rule keeps off the wire (kept local, or redacted)."""

    type: str = Field(
        description="Finding type, e.g. `EMAIL_ADDRESS`, or `CITY` for a city described by its "
        "country; names the placeholder."
    )
    value: str = Field(description="The exact text found.", repr=False)
    action: FindingAction = Field(description="`keep_local`, `keep_mine` or `redact`.")
    variants: tuple[str, ...] = Field(
        default=(),
        description="Cheap normalized spellings of the value (e.g. a card without spaces).",
        repr=False,
    )
    description: str = Field(
        default="",
        description="What the placeholder may say of the value (`a colleague`, `a city in "
        "Norway`): words from router/privacy/describe.py's fixed vocabulary only, never the value.",
    )


class PrivacyReport(_Frozen):
    """The privacy scan's verdict on a turn."""

    findings: tuple[Finding, ...] = Field(default=(), description="Everything detected.")
    keep_local: bool = Field(
        default=False, description="True when a rule requires the turn to stay on the device."
    )
    local_only_values: tuple[str, ...] = Field(
        default=(),
        description="Exact strings that must never appear in an outbound request.",
        repr=False,
    )
    reason: str = Field(default="nothing sensitive found", description="One-line explanation.")
    action: FindingAction = Field(
        default="allow", description="Strictest rule action over the findings."
    )
    rule: str = Field(default="", description="Name of the rule that set `action`.")
    protected: tuple[ProtectedValue, ...] = Field(
        default=(),
        description="Values of every keep_local, keep_mine or redact finding, with their types.",
        repr=False,
    )

    @property
    def redact_values(self) -> tuple[ProtectedValue, ...]:
        """The protected values a redact rule (not a keep_local one) decided."""
        return tuple(p for p in self.protected if p.action == "redact")


class RouteDecision(_Frozen):
    """Where a turn goes, what it sends, and why."""

    endpoint: str = Field(description="Name of the endpoint that serves the turn.")
    endpoint_kind: EndpointKind = Field(description="Where that endpoint runs.")
    policy: str = Field(description="Name of the policy that decided.")
    reason: str = Field(description="One-line human explanation shown next to the turn.")
    attachments_sent: tuple[str, ...] = Field(
        default=(), description="Names of the attachments that go with the request."
    )
    context_plan: Literal["recent_history", "summary", "none"] = Field(
        default="recent_history", description="How earlier turns are carried to the endpoint."
    )
    redactions: tuple[str, ...] = Field(
        default=(), description="Finding types replaced by placeholders before sending."
    )
    privacy_action: FindingAction = Field(
        default="allow",
        description="The turn's privacy verdict; `keep_local` labels the turn, and anything "
        "derived from it (summaries, memory), as never leaving the device; `keep_mine` as "
        "never leaving the user's devices.",
    )
    zone: Zone = Field(
        default="cloud",
        description="The trust zone the answer came from: `device`, `mine` (an edge marked as "
        "the user's) or `cloud`. Left out, it follows `endpoint_kind` (turns recorded before "
        "zones: `device` for `local`, else `cloud`); the pipeline sets it from the endpoint.",
    )
    expected_quality: float | None = Field(
        default=None, description="Policy's estimate of answer quality in [0, 1]."
    )
    expected_latency_s: float | None = Field(
        default=None, description="Policy's estimate of the turn's latency in seconds."
    )
    expected_cost_usd: float | None = Field(
        default=None, description="Policy's estimate of the turn's cost in USD."
    )
    escalate_to: str | None = Field(
        default=None,
        description="Cascade: the off-device endpoint that takes over when the local answer's "
        "confidence is below `confidence_threshold`.",
    )
    confidence_threshold: float | None = Field(
        default=None, description="Cascade: the confidence the local answer must reach."
    )
    confidence: float | None = Field(
        default=None, description="Cascade: the local answer's measured confidence."
    )

    @field_validator("endpoint_kind", mode="before")
    @classmethod
    def _fake_was_local(cls, value: object) -> object:
        # Turns recorded before test fakes took the kind they stand in for say "fake".
        return "local" if value == "fake" else value

    @model_validator(mode="before")
    @classmethod
    def _zone_of_kind(cls, data: Any) -> Any:
        # No zone given: an edge is not known to be the user's, so it counts as the cloud.
        if isinstance(data, dict) and "zone" not in data:
            kind = data.get("endpoint_kind")
            return {**data, "zone": zone_of("local" if kind == "fake" else str(kind))}
        return data


class GenerationOptions(_Frozen):
    """Sampling settings for one generation."""

    max_tokens: int = Field(default=512, ge=1, description="Most tokens to generate.")
    temperature: float = Field(default=0.7, ge=0, description="Sampling temperature; 0 is greedy.")
    top_p: float = Field(default=0.95, gt=0, le=1, description="Nucleus sampling mass.")
    seed: int | None = Field(default=None, description="Sampling seed, for repeatable output.")


class TurnRequest(_Frozen):
    """What the user asked in one turn."""

    text: str = Field(description="The user's message.")
    session_id: str = Field(description="Conversation the turn belongs to.")
    attachments: tuple[Attachment, ...] = Field(default=(), description="Attached files.")
    endpoint: str | None = Field(
        default=None,
        description="Serve the turn on this endpoint because the user asked for it (a re-answer "
        "on the other tier), whatever the policy would pick; privacy rules still apply: a turn "
        "they keep local runs on the device.",
    )


class PackedContext(_Frozen):
    """The exact messages one endpoint will receive."""

    messages: tuple[Message, ...] = Field(description="System, history and the new user message.")
    input_tokens: int = Field(ge=0, description="Token count of `messages` for that endpoint.")
    dropped_turns: int = Field(
        default=0, ge=0, description="Earlier turns left out because they did not fit."
    )
    holds_kept_local: bool = Field(
        default=False,
        exclude=True,  # about the messages, not part of what is sent
        description="Whether the messages carry an earlier turn, or a summary, that a privacy "
        "rule kept on this device: then nothing of this turn may leave through a tool.",
    )


class Turn(BaseModel):
    """One persisted turn of a conversation, as the ledger stores it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id, description="Unique turn id.")
    session_id: str = Field(description="Conversation the turn belongs to.")
    seq: int = Field(ge=0, description="Position of the turn in its conversation.")
    created_at: datetime = Field(default_factory=utc_now, description="When the turn began.")
    user_text: str = Field(description="What the user asked.")
    attachments: tuple[Attachment, ...] = Field(default=(), description="Attached files.")
    answer: str = Field(default="", description="The answer, or the part streamed before a stop.")
    route: RouteDecision | None = Field(default=None, description="Where the turn was served.")
    usage: Usage | None = Field(default=None, description="Tokens, time and money spent.")
    status: TurnStatus = Field(default="in_progress", description="Where the turn ended up.")
    error: str | None = Field(default=None, description="What went wrong, for failed turns.")
