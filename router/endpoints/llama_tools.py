"""Tool calling for the on-device model: tools into the chat template, calls out of the text.

Qwen2.5 (and other Hermes-style) chat templates render `tools` into the system
prompt and expect `<tool_call>{"name": ..., "arguments": ...}</tool_call>`
back. Small models are sloppy about it: the bundled 0.5B model writes the JSON
without the tags and often fills `arguments` with the schema it was shown. The
parser accepts both forms, and keeps only arguments the tool's schema declares.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from router.endpoints.remote_common import load_attachment
from router.endpoints.tool_specs import openai_tools
from router.types import Message, ToolCall, ToolSpec

_OPEN, _CLOSE = "<tool_call>", "</tool_call>"

AFTER_TOOLS = "Using only these results, answer the question in plain words."
"""Closes the tool results folded into the question (see `chat_messages`)."""

Piece = str | ToolCall
"""What the parser yields: text for the user, or a parsed call."""


def chat_messages(
    messages: Sequence[Message], *, native_tools: bool, inline_results: bool = True
) -> list[dict[str, Any]]:
    """Messages as chat-template dicts, tool calls and results included.

    With `inline_results` (the default), this turn's tool rounds are folded
    into the question as plain text ("The tool X returned: ..."), closed by an
    instruction to answer. Rendered the template's way instead, the bundled
    0.5B model copies the call it sees in the history and never answers; the
    tool definitions stay in the prompt either way, so it can still chain calls.
    Otherwise, with `native_tools` the template renders `tool_calls` and
    `tool` messages itself, and without it they are written in the Hermes format.
    """
    question = _last_question(messages)
    if inline_results and question is not None and question < len(messages) - 1:
        head = _plain(messages[:question], native_tools=native_tools)
        return [*head, {"role": "user", "content": _folded(messages[question:])}]
    return _plain(messages, native_tools=native_tools)


def _last_question(messages: Sequence[Message]) -> int | None:
    """Index of the newest user message that is not a tool result."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user" and not messages[i].tool_results:
            return i
    return None


def _folded(tail: Sequence[Message]) -> str:
    """The question, then each round's calls and results as text, then `AFTER_TOOLS`."""
    names: dict[str, str] = {}
    lines = [with_files(tail[0]), ""]
    for m in tail[1:]:
        if m.role == "assistant" and m.content.strip():
            lines += [f"You said: {m.content.strip()}", ""]
        for c in m.tool_calls:
            names[c.id] = c.name
        for r in m.tool_results:
            verb = "failed" if r.is_error else "returned"
            lines += [f"The tool {names.get(r.call_id, 'tool')} {verb}:", r.content, ""]
    lines.append(AFTER_TOOLS)
    return "\n".join(lines)


def _plain(messages: Sequence[Message], *, native_tools: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.tool_calls:
            if native_tools:
                calls = [
                    {"type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in m.tool_calls
                ]
                out.append({"role": "assistant", "content": m.content, "tool_calls": calls})
            else:
                text = "".join(f"\n{_OPEN}\n{_call_json(c)}\n{_CLOSE}" for c in m.tool_calls)
                out.append({"role": "assistant", "content": (m.content + text).strip()})
            continue
        if m.tool_results:
            for r in m.tool_results:
                content = f"Error: {r.content}" if r.is_error else r.content
                if native_tools:
                    out.append({"role": "tool", "content": content})
                else:
                    text = f"<tool_response>\n{content}\n</tool_response>"
                    out.append({"role": "user", "content": text})
            if m.content:
                out.append({"role": "user", "content": m.content})
            continue
        out.append({"role": m.role, "content": with_files(m)})
    return out


def with_files(message: Message) -> str:
    """The message's text, then each attached file as the device model can read it.

    Text files are inlined as the off-device endpoints inline them (the same sniffing
    and decoding the privacy scan used); the device model cannot see images, so an
    image is named in a note rather than dropped without a word (and never read).
    """
    parts = [message.content] if message.content else []
    parts += [load_attachment(a, images=False).text for a in message.attachments]
    return "\n\n".join(parts)


def tools_system_prompt(tools: Sequence[ToolSpec]) -> str:
    """The Hermes tool prompt, for templates that do not render `tools` themselves."""
    listed = "\n".join(json.dumps(t, ensure_ascii=False) for t in openai_tools(tools))
    return (
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        f"You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
        f"{listed}\n</tools>\n\nFor each function call, return a json object with function "
        f"name and arguments within {_OPEN}{_CLOSE} XML tags:\n{_OPEN}\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n' + _CLOSE
    )


def _call_json(call: ToolCall) -> str:
    return json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)


class ToolCallParser:
    """Splits streamed model output into text and tool calls.

    Text is passed through as it arrives, except what might be the start of a
    call: output that opens with `{` is held to the end (a bare JSON call), and
    a partial `<tool_call>` tag is held until it is complete or ruled out.
    """

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self._tools = {t.name: t for t in tools}
        self._buffer = ""
        self._mode = "start"  # start | text | tag | json
        self.calls = 0

    def feed(self, text: str) -> list[Piece]:
        """The pieces that are certain after `text` arrived."""
        self._buffer += text
        out: list[Piece] = []
        while True:
            if self._mode == "start":
                head = self._buffer.lstrip()
                if not head:
                    return out
                if head.startswith("{"):
                    self._mode = "json"
                elif _OPEN.startswith(head[: len(_OPEN)]) and len(head) < len(_OPEN):
                    return out  # could still become the tag
                else:
                    self._mode = "text"
            if self._mode == "json":
                return out
            if self._mode == "text":
                at = self._buffer.find(_OPEN)
                if at == -1:
                    keep = _partial_suffix(self._buffer, _OPEN)
                    cut = len(self._buffer) - keep
                    if cut:
                        out.append(self._buffer[:cut])
                    self._buffer = self._buffer[cut:]
                    return out
                if self._buffer[:at].strip():
                    out.append(self._buffer[:at])
                self._buffer = self._buffer[at + len(_OPEN) :]
                self._mode = "tag"
            if self._mode == "tag":
                at = self._buffer.find(_CLOSE)
                if at == -1:
                    return out
                body, self._buffer = self._buffer[:at], self._buffer[at + len(_CLOSE) :]
                call = self._call(body, tagged=True)
                out.append(call if call is not None else f"{_OPEN}{body}{_CLOSE}")
                self._mode = "start"

    def finish(self) -> list[Piece]:
        """Whatever is left when the output ends: a last call, or text."""
        rest, self._buffer = self._buffer, ""
        if not rest.strip():
            return []
        if self._mode == "json":
            calls = self._bare_calls(rest)
            return list(calls) if calls else [rest]
        if self._mode == "tag":  # the model stopped before closing the tag
            call = self._call(rest, tagged=True)
            return [call] if call is not None else [_OPEN + rest]
        return [rest]

    def _bare_calls(self, text: str) -> list[ToolCall]:
        """Calls written as bare JSON objects, one or more; none unless all parse."""
        decoder = json.JSONDecoder()
        calls: list[ToolCall] = []
        at, text = 0, text.strip()
        while at < len(text):
            try:
                value, end = decoder.raw_decode(text, at)
            except ValueError:
                return []
            call = self._from_value(value, tagged=False)
            if call is None:
                return []
            calls.append(call)
            at = end
            while at < len(text) and text[at] in " \t\r\n,":
                at += 1
        return calls

    def _call(self, body: str, *, tagged: bool) -> ToolCall | None:
        try:
            value = json.loads(body.strip())
        except ValueError:
            return None
        return self._from_value(value, tagged=tagged)

    def _from_value(self, value: Any, *, tagged: bool) -> ToolCall | None:
        """A call from a parsed object; bare JSON must name an offered tool to count."""
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return None
        name: str = value["name"]
        spec = self._tools.get(name)
        if spec is None and not tagged:
            return None
        arguments = value.get("arguments", value.get("parameters", {}))
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = {}
        if not isinstance(arguments, dict):
            arguments = {}
        self.calls += 1
        return ToolCall(
            id=f"call_{uuid.uuid4().hex[:12]}",
            name=name,
            arguments=_declared(arguments, spec),
        )


def _declared(arguments: dict[str, Any], spec: ToolSpec | None) -> dict[str, Any]:
    """Only the arguments the schema declares, unless it allows others.

    Small models copy the schema itself (`type`, `properties`) into the call,
    which a strict server would reject.
    """
    if spec is None:
        return arguments
    schema = spec.input_schema
    properties = schema.get("properties")
    if not isinstance(properties, dict) or schema.get("additionalProperties") is True:
        return arguments
    return {k: v for k, v in arguments.items() if k in properties}


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper start of `tag`."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0
