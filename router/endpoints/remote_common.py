"""Pieces shared by the endpoints: attachments (the device model reads them too), timing, errors.

Both wire protocols (Anthropic Messages, OpenAI chat completions) fail the same
ways, so both map failures through here onto Tandem's two error kinds:
`EndpointUnavailableError` (worth retrying or falling back) and
`EndpointRequestError` (the request itself was refused; retrying won't help).
Every message is passed through `secrets.redact` so no key ends up in an error.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, overload

from router.endpoints.secrets import redact
from router.errors import EndpointError, EndpointRequestError, EndpointUnavailableError
from router.privacy.sniff import decode_text, sniff_file
from router.tokens import tokens_in_chars
from router.types import Attachment, Message

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Anthropic's per-image limit on the API; larger images are left out, not resized.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_TEXT_BYTES = 256 * 1024
# Anthropic bills an image at about (width * height) / 750 tokens, at most ~1600.
_IMAGE_TOKENS_ESTIMATE = 1600
# The note sent for a file left out ("[attachment x.docx (...) was not sent: ...]"): a prior.
_NOTE_TOKENS = 40
BROKE_OFF = "the answer stream broke off"


@dataclass(frozen=True)
class ImagePart:
    """An image to send, base64-encoded."""

    media_type: str
    data_b64: str


@dataclass(frozen=True)
class TextPart:
    """Text to send in place of an attachment: a text file's contents, or a note."""

    text: str


@overload
def load_attachment(att: Attachment, *, images: Literal[False]) -> TextPart: ...
@overload
def load_attachment(att: Attachment, *, images: bool = True) -> ImagePart | TextPart: ...
def load_attachment(att: Attachment, *, images: bool = True) -> ImagePart | TextPart:
    """Read `att` from disk: an image, a text file inlined, or a note saying why it was left out.

    What the file is, and how its text decodes, is `privacy.sniff`'s decision, the one
    the privacy scan made: the text sent is the text that was checked. With `images`
    False (a model that cannot see them) an image is a note, and is never read.
    """
    if att.path is None:
        return _left_out(att, "it is not a file on this device")
    try:
        path = Path(att.path)
        sniffed = sniff_file(path, att.mime_type, att.name)
        is_image = sniffed.media_type in IMAGE_TYPES
        if is_image and not images:
            return _left_out(att, "this model cannot see images")
        if not (is_image or sniffed.kind == "text"):
            return _left_out(att, "this endpoint accepts images and text files only")
        limit = MAX_IMAGE_BYTES if is_image else MAX_TEXT_BYTES
        if path.stat().st_size > limit:
            return _left_out(att, f"it is larger than {limit // 1024} KiB")
        data = path.read_bytes()
    except OSError as exc:
        return _left_out(att, f"it could not be read ({exc.strerror or type(exc).__name__})")
    if is_image:
        return ImagePart(sniffed.media_type, base64.b64encode(data).decode("ascii"))
    return TextPart(f'<file name="{att.name}">\n{decode_text(data, sniffed)}\n</file>')


def _left_out(att: Attachment, reason: str) -> TextPart:
    log.info("attachment %s (%s) not sent: %s", att.name, att.mime_type, reason)
    # Tell the model too, so it does not answer as if it had seen the file.
    return TextPart(f"[attachment {att.name} ({att.mime_type}) was not sent: {reason}]")


def estimate_prompt_tokens(messages: Sequence[Message]) -> int:
    """Estimate prompt tokens: about four characters a token, plus framing and images."""
    total = 0
    for m in messages:
        chars = len(m.content)
        chars += sum(len(c.name) + len(json.dumps(c.arguments)) for c in m.tool_calls)
        chars += sum(len(r.content) for r in m.tool_results)
        total += tokens_in_chars(chars) + 4
        total += sum(_attachment_tokens(att) for att in m.attachments)
    return total


def _attachment_tokens(att: Attachment) -> int:
    """What `att` adds to the prompt as `load_attachment` sends it: a text file its
    size, an image the image estimate, anything left out only its one-line note."""
    if att.path is None:
        return _NOTE_TOKENS
    try:
        sniffed = sniff_file(att.path, att.mime_type, att.name)
    except OSError:
        return _NOTE_TOKENS
    if sniffed.media_type in IMAGE_TYPES and att.size_bytes <= MAX_IMAGE_BYTES:
        return _IMAGE_TOKENS_ESTIMATE
    if sniffed.kind == "text" and att.size_bytes <= MAX_TEXT_BYTES:
        return tokens_in_chars(att.size_bytes)
    return _NOTE_TOKENS


class Timer:
    """Measures time to first token and total latency of one request."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self.ttft_s: float | None = None

    def elapsed(self) -> float:
        """Seconds since the request started."""
        return time.perf_counter() - self._started

    def first_token(self) -> None:
        """Record the first generated token (later calls do nothing)."""
        if self.ttft_s is None:
            self.ttft_s = self.elapsed()


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, or `retry-after` (seconds or date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_detail(body: object, fallback: str) -> tuple[str, str]:
    """Pull (type, message) out of an error body: `{"error": {"type", "message"}}` or similar."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        kind = error.get("type") or error.get("code") or "error"
        return str(kind), str(error.get("message", ""))
    if isinstance(error, str):  # Ollama and others: {"error": "model not found"}
        return "error", error
    return "error", fallback


def connect_failed(exc: BaseException, connect_types: tuple[type[BaseException], ...]) -> bool:
    """True when no connection was made at all (refused, unresolvable, unreachable)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (*connect_types, ConnectionError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def key_hint(name: str) -> str:
    """The hint shown when an endpoint refuses its key."""
    return f"check the API key: `tandem endpoints key {name}`"


def is_retryable_status(status: int) -> bool:
    """Timeouts, conflicts, rate limits and server errors are worth retrying; other 4xx are not."""
    return status in (408, 409, 429) or status >= 500


def status_error(
    name: str,
    status: int,
    detail: str,
    *,
    retry_after_s: float | None = None,
    secrets: Iterable[str | None] = (),
) -> EndpointError:
    """Map an HTTP error status (and the server's explanation) onto a Tandem error."""
    detail = redact(detail, secrets)[:500]
    if is_retryable_status(status):
        if status == 429:
            what, hint = "is rate limiting requests", "wait a moment, or use another endpoint"
        elif status == 529 or "overloaded" in detail:
            what, hint = "is overloaded", "try again shortly, or use another endpoint"
        else:
            what, hint = "could not answer now", "try again shortly, or use another endpoint"
        return EndpointUnavailableError(
            f"{name} {what} (HTTP {status}: {detail})",
            hint,
            status=status,
            retry_after_s=retry_after_s,
        )
    if status in (401, 403):
        what, hint = "refused the API key", key_hint(name)
    elif status == 404:
        what = "does not know this model or address"
        hint = f"check `model` and `base_url` of endpoint {name} in the config"
    elif status == 413:
        what, hint = "refused the request as too large", "send fewer or smaller attachments"
    else:
        what = "refused the request"
        hint = f"check the attachments and the model name; {key_hint(name)}"
    return EndpointRequestError(f"{name} {what} (HTTP {status}: {detail})", hint, status=status)


def connection_error(
    name: str, exc: BaseException, *, connect_failed: bool, timed_out: bool
) -> EndpointUnavailableError:
    """Map a failure to connect or to hear back in time onto `EndpointUnavailableError`."""
    if connect_failed:
        what = "could not be reached" + (" in time" if timed_out else "")
    elif timed_out:
        what = "did not answer in time"
    else:
        what = "lost the connection"
    detail = redact(str(exc) or type(exc).__name__)
    return EndpointUnavailableError(
        f"{name} {what} ({detail})",
        "check the network and the endpoint's base_url; Tandem falls back to this device",
        connect_failed=connect_failed,
    )


def stream_broke(name: str, detail: str) -> EndpointUnavailableError:
    """The answer stream ended early or could not be parsed."""
    return EndpointUnavailableError(
        f"{name}: {BROKE_OFF} ({redact(detail)})", "try again; the server or network failed"
    )
