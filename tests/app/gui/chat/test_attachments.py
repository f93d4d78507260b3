"""Attachment chips: checked against the rules when picked; failures keep the file local."""

import asyncio
import threading
from pathlib import Path

from app.gui.chat.attachments import AttachmentChip, AttachmentsViewModel, chip_for, chips_after
from app.gui.chat.detail.model import build_detail, cost_text, where_badge
from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Attachment, Finding, PrivacyReport, RouteDecision, TurnRequest, Usage

RULES = build_rules(
    [PrivacyRule(name="b", keywords=["bluebird"], action="keep_local", reason="mentions bluebird")]
)


def no_findings(text: str) -> list[Finding]:
    return []


class GatedScanner(Scanner):
    """Scans only once its gate opens (the scan runs in a worker thread)."""

    gate: threading.Event

    def scan(self, request: TurnRequest, history: object, session_id: str | None = None) -> object:  # type: ignore[override]
        assert self.gate.wait(10), "the test never opened the gate"
        return super().scan(request, history, session_id)  # type: ignore[arg-type]


class BrokenScanner(Scanner):
    def scan(self, request: TurnRequest, history: object, session_id: str | None = None) -> None:  # type: ignore[override]
        raise OSError("disk on fire")


async def test_a_file_says_checking_until_its_scan_ends(tmp_path: Path) -> None:
    gate = threading.Event()
    scanner = GatedScanner(rules=RULES, detectors=[FunctionDetector(no_findings)])
    scanner.gate = gate
    states: list[list[str]] = []
    vm = AttachmentsViewModel(lambda: scanner, tmp_path)
    vm.on_change = lambda: states.append([c.verdict for c in vm.chips])

    adding = asyncio.create_task(vm.add_file("a.txt", data=b"hello"))
    while not states:  # the chip appears before the scan (in its thread) ends
        await asyncio.sleep(0)
    assert vm.checking and states == [["checking"]]
    gate.set()
    await adding
    assert not vm.checking and states[-1] == ["send"]


async def test_a_file_that_cannot_be_checked_stays_local_and_says_why(tmp_path: Path) -> None:
    vm = AttachmentsViewModel(lambda: BrokenScanner(), tmp_path)
    await vm.add_file("report.txt", data=b"numbers")
    [chip] = vm.chips
    assert chip.verdict == "keep_local" and chip.label == "report.txt · stays local"
    assert (
        vm.error
        == "report.txt could not be checked (OSError: disk on fire); it is kept on this device"
    )


async def test_a_re_pick_replaces_the_file_and_take_empties_the_list(tmp_path: Path) -> None:
    vm = AttachmentsViewModel(
        lambda: Scanner(rules=RULES, detectors=[FunctionDetector(no_findings)]), tmp_path
    )
    await vm.add_file("notes.txt", data=b"first")
    await vm.add_file("../notes.txt", data=b"the bluebird version")  # directories are dropped
    [chip] = vm.chips
    assert chip.attachment.name == "notes.txt" and chip.verdict == "keep_local"
    await vm.add_file("nothing.bin")
    assert vm.error == "nothing.bin: the file picker gave neither a path nor the file's bytes"
    assert [c.attachment.name for c in vm.take()] == ["notes.txt"]
    assert vm.chips == [] and vm.take() == []


def test_chips_after_routing_say_sent_only_for_files_that_left() -> None:
    a = Attachment(name="a.txt", mime_type="text/plain", size_bytes=1)
    b = Attachment(name="b.txt", mime_type="text/plain", size_bytes=1)
    chips = [AttachmentChip(a, "send", "x"), AttachmentChip(b, "send", "y")]
    cloud = RouteDecision(
        endpoint="claude",
        endpoint_kind="cloud",
        policy="p",
        reason="r",
        attachments_sent=("a.txt",),
    )
    assert [c.label for c in chips_after(chips, cloud)] == [
        "a.txt · sent",
        "b.txt · stayed on this device",
    ]
    local = cloud.model_copy(update={"endpoint": "local", "endpoint_kind": "local"})
    assert [c.verdict for c in chips_after(chips, local)] == ["not_sent", "not_sent"]


def test_badges_and_costs() -> None:
    base = RouteDecision(endpoint="claude", endpoint_kind="cloud", policy="rules", reason="r")
    assert where_badge(base) == "cloud"
    assert where_badge(base.model_copy(update={"redactions": ("PERSON",)})) == "redacted → cloud"
    # The badge names the trust zone: an edge not marked as the user's counts as the cloud.
    assert where_badge(base.model_copy(update={"endpoint_kind": "edge"})) == "cloud"
    desk = base.model_copy(update={"endpoint_kind": "edge", "zone": "mine"})
    assert where_badge(desk) == "your devices"
    redacted = desk.model_copy(update={"redactions": ("PERSON",)})
    assert where_badge(redacted) == "redacted → your devices"
    assert where_badge(base.model_copy(update={"policy": "team"})) == "team"
    assert cost_text(Usage(cost_usd=0.0123), base) == "$0.0123"
    assert cost_text(Usage(), base) == "$0.0000"
    assert cost_text(None, base) == ""


def test_a_turn_without_usage_says_so() -> None:
    decision = RouteDecision(endpoint="local", endpoint_kind="local", policy="local", reason="r")
    detail = build_detail(
        user_text="hi",
        attachments=(),
        decision=decision,
        usage=None,
        status="cancelled",
        placeholders={},
        sent_text="hi",
    )
    assert detail.numbers == ("no usage recorded (the turn is cancelled)",)
    assert detail.sent_text is None and detail.privacy == "no privacy rule matched"


def test_a_file_a_rule_keeps_on_my_devices_says_so_and_where_it_went() -> None:
    file = Attachment(name="plan.txt", mime_type="text/plain", size_bytes=5)
    report = PrivacyReport(action="keep_mine", reason="names a project")
    chip = chip_for(file, report)
    assert chip.label == "plan.txt · stays on your devices" and not chip.will_send
    assert chip.note == "goes only to your devices: names a project"
    desk = RouteDecision(
        endpoint="desk", endpoint_kind="edge", policy="p", reason="r",
        attachments_sent=("plan.txt",), zone="mine",
    )  # fmt: skip
    [after] = chips_after([chip], desk)
    assert (after.verdict, after.note) == ("sent", "sent to desk (your devices)")
