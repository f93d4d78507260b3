import re
from pathlib import Path

from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Attachment, Finding, Message, ToolCall, ToolResult, TurnRequest

NAMES = ("Alice Smith", "Bob Jones", "Zoë Müller")
_PATTERNS = {
    "CREDIT_CARD": r"\b\d{4}(?: \d{4}){3}\b",
    "EMAIL_ADDRESS": r"[\w.+-]+@[\w-]+\.[\w.]+",
    "API_KEY": r"sk-[A-Za-z0-9]{20,}",
    "PERSON": "|".join(re.escape(n) for n in NAMES),
}


def fake_detect(text: str) -> list[Finding]:
    """A tiny stand-in for the real detectors: regexes and a fixed name list."""
    return [
        Finding(type=t, start=m.start(), end=m.end(), confidence=0.9, detector="fake")
        for t, p in _PATTERNS.items()
        for m in re.finditer(p, text)
    ]


def _scanner(**kw: object) -> Scanner:
    return Scanner(detectors=[FunctionDetector(fake_detect)], **kw)  # type: ignore[arg-type]


def test_clean_turn() -> None:
    report = _scanner().scan(TurnRequest(text="what is 2+2?", session_id="s"), [])
    assert not report.keep_local and report.action == "allow" and not report.local_only_values


def test_card_in_prompt_keeps_local_with_variants() -> None:
    report = _scanner().scan(TurnRequest(text="card 4111 1111 1111 1111", session_id="s"), [])
    assert report.keep_local and report.reason == "contains a card number"
    assert report.rule == "card-number"
    assert "4111 1111 1111 1111" in report.local_only_values
    assert "4111111111111111" in report.local_only_values


def test_history_tool_results_and_summaries_are_scanned() -> None:
    history = [
        Message(role="system", content="Summary: Bob Jones asked about a@b.io"),
        Message(role="assistant", content="", tool_calls=(ToolCall(id="c1", name="mail__read"),)),
        Message(
            role="user",
            content="",
            tool_results=(ToolResult(call_id="c1", content="key sk-abcdefghijklmnopqrstuv"),),
        ),
    ]
    report = _scanner().scan(TurnRequest(text="hi", session_id="s"), history)
    parts = {(f.part, f.source, f.type) for f in report.findings}
    assert ("history", "history[0]", "PERSON") in parts
    assert ("tool_result", "history[2].tool_results[0]", "API_KEY") in parts
    assert report.keep_local
    assert {"Bob Jones", "a@b.io", "sk-abcdefghijklmnopqrstuv"} <= set(report.local_only_values)


def test_redact_only_turn_lists_values_to_redact() -> None:
    report = _scanner().scan(TurnRequest(text="ask Alice Smith at al@x.org", session_id="s"), [])
    assert report.action == "redact" and not report.keep_local
    assert {(p.type, p.value) for p in report.redact_values} == {
        ("PERSON", "Alice Smith"),
        ("EMAIL_ADDRESS", "al@x.org"),
    }


def test_attachments_text_and_images(tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("pay with 5500 0000 0000 0004")
    text_att = Attachment(name="notes.txt", mime_type="text/plain", size_bytes=30, path=str(doc))
    report = _scanner().scan(
        TurnRequest(text="see file", session_id="s", attachments=(text_att,)), []
    )
    assert report.keep_local and "5500 0000 0000 0004" in report.local_only_values
    image = Attachment(
        name="p.png", mime_type="image/png", size_bytes=3, path=str(tmp_path / "p.png")
    )
    report = _scanner().scan(TurnRequest(text="look", session_id="s", attachments=(image,)), [])
    assert report.keep_local and [f.type for f in report.findings] == ["IMAGE"]
    allow_images = build_rules(
        [PrivacyRule(name="img", types=["IMAGE"], action="allow", reason="ok")]
    )
    report = _scanner(rules=allow_images).scan(
        TurnRequest(text="look", session_id="s", attachments=(image,)), []
    )
    assert not report.keep_local


def test_path_rules_match_attachments(tmp_path: Path) -> None:
    doc = tmp_path / "secret" / "plan.txt"
    doc.parent.mkdir()
    doc.write_text("nothing detectable")
    att = Attachment(name="plan.txt", mime_type="text/plain", size_bytes=18, path=str(doc))
    rules = build_rules(
        [
            PrivacyRule(
                name="secret-dir",
                paths=[f"{tmp_path}/secret/*"],
                action="keep_local",
                reason="is private",
            )
        ]
    )
    report = _scanner(rules=rules).scan(
        TurnRequest(text="x", session_id="s", attachments=(att,)), []
    )
    assert report.keep_local and report.reason == "is private"


def test_a_keyword_hidden_by_zero_width_characters_still_fires() -> None:
    rule = PrivacyRule(name="falcon", keywords=["project Falcon"], action="keep_local", reason="r")
    text = "status of project Fal\u200bcon?"
    report = _scanner(rules=build_rules([rule])).scan(TurnRequest(text=text, session_id="s"), [])
    assert report.keep_local and report.rule == "falcon"
    assert "project Fal\u200bcon" in report.local_only_values
    assert "project Falcon" in report.local_only_values  # the plain spelling is guarded too


def test_an_unreadable_attachment_keeps_the_turn_local_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    att = Attachment(name="report.pdf", mime_type="application/pdf", size_bytes=18, path=str(bad))
    report = _scanner().scan(TurnRequest(text="hi", session_id="s", attachments=(att,)), [])
    assert report.keep_local and report.rule == "unreadable-attachment"
    assert report.reason == "report.pdf could not be read, so it could not be checked"
    assert [f.type for f in report.findings] == ["UNREADABLE"]
