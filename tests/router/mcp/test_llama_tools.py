"""The on-device model's tool calling: parsing calls out of streamed text, and the prompt."""

from __future__ import annotations

import pytest

from router.endpoints.llama_tools import (
    AFTER_TOOLS,
    ToolCallParser,
    chat_messages,
    tools_system_prompt,
)
from router.types import Message, ToolCall, ToolResult, ToolSpec

BATTERY = ToolSpec(name="sensors__battery", description="Battery level.")
SHOUT = ToolSpec(
    name="dev__shout",
    input_schema={"type": "object", "properties": {"text": {"type": "string"}}},
)


def _parse(chunks: list[str], tools: tuple[ToolSpec, ...] = (BATTERY, SHOUT)) -> list[object]:
    parser = ToolCallParser(tools)
    out: list[object] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out + parser.finish()


def _split(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>\n{"name": "sensors__battery", "arguments": {}}\n</tool_call>',
        '{"name": "sensors__battery", "arguments": {}}',
        # The bundled 0.5B model's habit: the schema copied in as arguments.
        '{"name": "sensors__battery", "arguments": {"type": "object", "properties": {}}}',
        '  <tool_call>{"name": "sensors__battery", "arguments": "{}"}',  # unclosed, string args
    ],
)
def test_calls_are_parsed_in_either_form_even_split_across_tokens(text: str) -> None:
    [call] = _parse(_split(text))
    assert isinstance(call, ToolCall)
    assert (call.name, call.arguments) == ("sensors__battery", {})


def test_only_declared_arguments_are_kept() -> None:
    [call] = _parse(['{"name": "dev__shout", "arguments": {"text": "hi", "type": "object"}}'])
    assert isinstance(call, ToolCall) and call.arguments == {"text": "hi"}


def test_text_streams_through_and_a_call_after_it_is_cut_out() -> None:
    pieces = _parse(
        _split('Checking <tool_call>{"name": "dev__shout", "arguments": {"text": "a"}}</tool_call>')
    )
    text = "".join(p for p in pieces if isinstance(p, str))
    calls = [p for p in pieces if isinstance(p, ToolCall)]
    assert text == "Checking "
    assert [c.name for c in calls] == ["dev__shout"]


def test_plain_answers_and_json_that_is_not_a_call_stay_text() -> None:
    assert "".join(map(str, _parse(_split("The battery is at 80%.")))) == "The battery is at 80%."
    other = '{"name": "unknown_tool", "arguments": {}}'
    assert _parse([other]) == [other]
    truncated = '{"name": "sensors__battery", "argu'
    assert _parse([truncated]) == [truncated]
    assert "".join(map(str, _parse(["a < b and <tool"]))) == "a < b and <tool"


def test_tool_rounds_are_folded_into_the_question_for_the_small_model() -> None:
    call = ToolCall(id="c1", name="sensors__battery")
    messages = [
        Message(role="system", content="be brief"),
        Message(role="user", content="battery?"),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="user", content="", tool_results=(ToolResult(call_id="c1", content="64%"),)),
    ]
    chat = chat_messages(messages, native_tools=True)
    assert [m["role"] for m in chat] == ["system", "user"]
    assert (
        chat[1]["content"]
        == f"battery?\n\nThe tool sensors__battery returned:\n64%\n\n{AFTER_TOOLS}"
    )
    native = chat_messages(messages, native_tools=True, inline_results=False)
    assert [m["role"] for m in native] == ["system", "user", "assistant", "tool"]
    assert native[2]["tool_calls"][0]["function"] == {"name": "sensors__battery", "arguments": {}}
    hermes = chat_messages(messages, native_tools=False, inline_results=False)
    assert "<tool_call>" in hermes[2]["content"] and "<tool_response>" in hermes[3]["content"]


def test_templates_without_tools_get_the_hermes_prompt() -> None:
    prompt = tools_system_prompt([BATTERY])
    assert '"name": "sensors__battery"' in prompt and "<tool_call>" in prompt
