"""The device model reads attached files: a turn kept local for its file must not lose the file.

Off-device endpoints inline text files (router/endpoints/remote_common.py); the
device model's prompt used only each message's text, so a question about an
attached statement was answered as if no file had been attached.
"""

from __future__ import annotations

from pathlib import Path

from router.endpoints.llama_tools import chat_messages
from router.types import Attachment, Message, ToolCall, ToolResult


def _attached(path: Path, mime: str = "text/plain") -> Attachment:
    return Attachment(
        name=path.name, mime_type=mime, size_bytes=path.stat().st_size, path=str(path)
    )


def test_an_attached_text_file_is_in_the_question(tmp_path: Path) -> None:
    statement = tmp_path / "statement.txt"
    statement.write_text("Balance on 1 March: 1,234.56 EUR")
    messages = [
        Message(role="system", content="be brief"),
        Message(role="user", content="what is my balance?", attachments=(_attached(statement),)),
    ]
    chat = chat_messages(messages, native_tools=True)
    assert chat[1]["content"].startswith("what is my balance?")
    assert (
        '<file name="statement.txt">\nBalance on 1 March: 1,234.56 EUR\n</file>'
        in (chat[1]["content"])
    )


def test_a_utf16_file_is_read_as_its_text(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes("Meet Ana at noon".encode("utf-16"))
    chat = chat_messages(
        [Message(role="user", content="when?", attachments=(_attached(notes),))],
        native_tools=False,
    )
    assert "Meet Ana at noon" in chat[0]["content"]


def test_the_file_stays_with_its_question_when_tool_rounds_are_folded(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("Q3 revenue grew 12%.")
    call = ToolCall(id="c1", name="sensors__battery")
    messages = [
        Message(role="user", content="summarise", attachments=(_attached(report),)),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="user", content="", tool_results=(ToolResult(call_id="c1", content="64%"),)),
    ]
    [question] = chat_messages(messages, native_tools=True)
    assert "Q3 revenue grew 12%." in question["content"]
    assert question["content"].index("Q3 revenue") < question["content"].index("64%")


def test_an_image_is_named_not_dropped_in_silence(tmp_path: Path) -> None:
    photo = tmp_path / "receipt.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    chat = chat_messages(
        [Message(role="user", content="total?", attachments=(_attached(photo, "image/png"),))],
        native_tools=True,
    )
    assert "receipt.png" in chat[0]["content"]
    assert "cannot see images" in chat[0]["content"]
