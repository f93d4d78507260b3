"""The Anthropic Messages API as the edge server speaks it: request and response shapes.

Only the part the official `anthropic` SDK uses for text chat is modelled.
Requests are parsed leniently (unknown fields are ignored, as Anthropic adds
fields over time and the SDK may send them), but every field the server reads
is validated, so a bad request gets a 400 that names the field.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from router.edge.engine import ApiError, StopReason
from router.types import Message


class _Lenient(BaseModel):
    # Ignore fields we do not know (cache_control, citations, new API options),
    # the way a forward-compatible client expects a server to.
    model_config = ConfigDict(extra="ignore")


def _as_blocks(value: Any) -> Any:
    """Let `content`/`system` be a plain string (one text block) or null (none)."""
    if value is None:
        return []
    return [{"type": "text", "text": value}] if isinstance(value, str) else value


class TextBlock(_Lenient):
    """Plain text; `cache_control` and `citations` are accepted and ignored."""

    type: Literal["text"] = Field(description="Always `text`.")
    text: str = Field(description="The text.")


class ImageBlock(_Lenient):
    """An image: recognised only to refuse it clearly (the model reads text only)."""

    type: Literal["image"] = Field(description="Always `image`.")


class DocumentBlock(_Lenient):
    """A PDF or document: recognised only to refuse it clearly."""

    type: Literal["document"] = Field(description="Always `document`.")


class ToolUseBlock(_Lenient):
    """A tool call from an earlier assistant turn; rendered to the model as text."""

    type: Literal["tool_use"] = Field(description="Always `tool_use`.")
    id: str = Field(description="Id linking the call to its result.")
    name: str = Field(description="Tool name.")
    input: Any = Field(default=None, description="The tool's arguments.")


class ToolResultBlock(_Lenient):
    """A tool's result sent back by the client; rendered to the model as text."""

    type: Literal["tool_result"] = Field(description="Always `tool_result`.")
    tool_use_id: str = Field(description="Id of the tool call this answers.")
    content: Annotated[
        list[Annotated[TextBlock | ImageBlock, Field(discriminator="type")]],
        BeforeValidator(_as_blocks),
    ] = Field(default_factory=list, description="The result, as a string or text blocks.")
    is_error: bool = Field(default=False, description="True if the tool failed.")


ContentBlock = Annotated[
    TextBlock | ImageBlock | DocumentBlock | ToolUseBlock | ToolResultBlock,
    Field(discriminator="type"),
]


class InputMessage(_Lenient):
    """One turn of the conversation the client sends."""

    role: Literal["user", "assistant", "system"] = Field(
        description="Who wrote the turn; `system` turns (newer SDKs send them) join the system "
        "prompt when they come first."
    )
    content: Annotated[list[ContentBlock], BeforeValidator(_as_blocks)] = Field(
        description="A string, or a list of content blocks whose text is joined."
    )


class CountTokensRequest(_Lenient):
    """Body of `POST /v1/messages/count_tokens`."""

    model: str = Field(description="Any name: the server has one model and uses it.")
    messages: list[InputMessage] = Field(min_length=1, description="The conversation.")
    system: Annotated[list[TextBlock], BeforeValidator(_as_blocks)] = Field(
        default_factory=list, description="System prompt: a string or text blocks."
    )
    tools: list[dict[str, Any]] | None = Field(
        default=None, description="Ignored: the edge model does not call tools."
    )


class MessagesRequest(CountTokensRequest):
    """Body of `POST /v1/messages`."""

    max_tokens: int = Field(ge=1, description="Most tokens to generate (capped by the context).")
    temperature: float | None = Field(
        default=None, ge=0, le=1, description="Sampling temperature; default: the server's."
    )
    top_p: float | None = Field(
        default=None, gt=0, le=1, description="Nucleus sampling mass; default: the server's."
    )
    top_k: int | None = Field(default=None, description="Ignored (llama.cpp's top_k 40 is used).")
    stop_sequences: list[str] = Field(
        default_factory=list, description="Generation stops before the first of these strings."
    )
    stream: bool = Field(default=False, description="Answer as server-sent events.")
    metadata: dict[str, Any] | None = Field(default=None, description="Ignored.")
    tool_choice: dict[str, Any] | None = Field(default=None, description="Ignored.")


def _block_text(block: ContentBlock | TextBlock | ImageBlock, where: str) -> str:
    if isinstance(block, TextBlock):
        return block.text
    if isinstance(block, ImageBlock | DocumentBlock):
        raise ApiError.invalid(
            f"{where}: {block.type} blocks are not supported: this model reads text only"
        )
    if isinstance(block, ToolUseBlock):
        # The model cannot call tools here, but a conversation that started on a
        # tool-using model may continue on the edge box: show it what happened.
        return f"[called tool {block.name} with {json.dumps(block.input, ensure_ascii=False)}]"
    parts = [_block_text(b, f"{where}.content.{i}") for i, b in enumerate(block.content)]
    label = "tool error" if block.is_error else "tool result"
    return f"[{label}: {' '.join(parts)}]"


def to_messages(system: list[TextBlock], messages: list[InputMessage]) -> list[Message]:
    """Flatten an Anthropic request into the router's chat messages.

    Text blocks are joined with blank lines; consecutive turns of the same role
    are merged (as Anthropic does), since many chat templates require turns to
    alternate. A final assistant turn (prefill) is refused: the chat template
    always opens a fresh assistant turn, so it could not be continued.
    """
    out: list[Message] = []
    system_text = "\n\n".join(b.text for b in system)
    if system_text:
        out.append(Message(role="system", content=system_text))
    for i, message in enumerate(messages):
        where = f"messages.{i}.content"
        text = "\n\n".join(_block_text(b, f"{where}.{j}") for j, b in enumerate(message.content))
        if out and out[-1].role == message.role:
            out[-1] = Message(role=message.role, content=f"{out[-1].content}\n\n{text}")
        else:
            out.append(Message(role=message.role, content=text))
    if out[-1].role == "assistant":
        raise ApiError.invalid(
            "messages: the last message must be from the user (assistant prefill is not "
            "supported by this server)"
        )
    return out


class TextContent(BaseModel):
    """A text block of the answer."""

    type: Literal["text"] = Field(default="text", description="Always `text`.")
    text: str = Field(description="The generated text.")


class MessageUsage(BaseModel):
    """Tokens one request used."""

    input_tokens: int = Field(description="Prompt tokens, counted with the model's tokenizer.")
    output_tokens: int = Field(description="Tokens generated.")
    cache_creation_input_tokens: int = Field(default=0, description="Always 0 here.")
    cache_read_input_tokens: int = Field(default=0, description="Always 0 here.")


class MessageResponse(BaseModel):
    """The answer to a non-streaming `POST /v1/messages`."""

    id: str = Field(description="Unique message id, `msg_...`.")
    type: Literal["message"] = Field(default="message", description="Always `message`.")
    role: Literal["assistant"] = Field(default="assistant", description="Always `assistant`.")
    model: str = Field(description="The served model's id.")
    content: list[TextContent] = Field(description="The answer: one text block.")
    stop_reason: StopReason | None = Field(description="Why generation stopped.")
    stop_sequence: str | None = Field(default=None, description="The stop sequence matched.")
    usage: MessageUsage = Field(description="Tokens used.")


class TokenCount(BaseModel):
    """The answer to `POST /v1/messages/count_tokens`."""

    input_tokens: int = Field(description="Prompt tokens with the model's chat template.")


class ModelInfo(BaseModel):
    """The served model, in Anthropic's shape plus OpenAI's fields (clients ignore extras)."""

    id: str = Field(description="Model id to send in requests.")
    type: Literal["model"] = Field(default="model", description="Always `model` (Anthropic).")
    display_name: str = Field(description="Human-readable name.")
    created_at: str = Field(description="RFC 3339 time the model file was made (Anthropic).")
    object: Literal["model"] = Field(default="model", description="Always `model` (OpenAI).")
    created: int = Field(description="Same time, as Unix seconds (OpenAI).")
    owned_by: str = Field(default="tandem", description="Always `tandem` (OpenAI).")


class ModelList(BaseModel):
    """`GET /v1/models`: one page holding the one served model, for both SDKs."""

    data: list[ModelInfo] = Field(description="The models.")
    has_more: bool = Field(default=False, description="Always false: one page.")
    first_id: str | None = Field(description="Id of the first model on the page.")
    last_id: str | None = Field(description="Id of the last model on the page.")
    object: Literal["list"] = Field(default="list", description="Always `list` (OpenAI).")


def new_message_id() -> str:
    """Return a fresh message id in Anthropic's `msg_` style."""
    return "msg_" + secrets.token_hex(12)


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def sse(event: str, data: dict[str, Any]) -> bytes:
    """Encode one server-sent event the way Anthropic sends it: `event:` then `data:`."""
    return f"event: {event}\ndata: {_json(data)}\n\n".encode()


PING = sse("ping", {"type": "ping"})
_DELTA_HEAD = sse(
    "content_block_delta",
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ""}},
).removesuffix(b'""}}\n\n')


def text_delta(text: str) -> bytes:
    """Encode a `content_block_delta` event carrying generated text.

    This runs once per token, so only the text is JSON-encoded; the rest of the
    event is a constant prefix.
    """
    return _DELTA_HEAD + _json(text).encode() + b"}}\n\n"
