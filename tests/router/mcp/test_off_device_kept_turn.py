"""Nothing leaves through an off-device tool in a turn whose context holds kept-local text.

A rule can keep text on the device for where it came from (a diary server, a
folder) or for its topic (health), with no value in it a detector or the egress
guard would know again. Once such text is in a turn's context, a device model
that obeys every instruction could copy it into the arguments of a tool on
another machine; so every off-device call of that turn is refused. The far
mailbox (a streamable-HTTP server on loopback) records what reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from router.context.settings import ContextSettings
from router.context.stage import ContextStage
from router.endpoints.function import Answer, EndpointCall
from router.ledger.store import Ledger
from router.ledger.summaries import SummaryStore
from router.mcp.host import ToolHost
from router.policy.decide import LocalOnlyPolicy, Policy, PreferRemotePolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.detectors.topics import TopicDetector
from router.privacy.guard import EgressPolicy
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.turn.events import ToolCalled, TurnEvent
from router.turn.pipeline import TurnPipeline
from router.types import Attachment, GenerationOptions, ToolCall
from tests.router.mcp.servers import mail_server, text_server
from tests.router.mcp.test_off_device_args import Obeys, send
from tests.router.privacy.test_scan import fake_detect
from tests.support.loopback import served_on_loopback
from tests.support.pipeline import collect
from tests.support.tool_endpoint import results_since_question

DIARY = "Told Sam today that I am leaving the band after the summer tour."
DIARY_RULE = PrivacyRule(
    name="diary", mcp_servers=["diary"], action="keep_local", reason="comes from my diary"
)
JOURNAL_RULE = PrivacyRule(
    name="journal", paths=["*/journal/*"], action="keep_local", reason="is from my journal"
)


def refused(rule: str) -> str:
    """How the notice for a refused mail begins."""
    return (
        "mail__send was not sent: this turn holds text your privacy rules keep on this "
        f"device ({rule})"
    )


def read_diary(call: EndpointCall) -> ToolCall:
    """A step that reads today's diary entry."""
    return ToolCall(id=f"c{call.index}", name="diary__read")


def mail_what_was_read(call: EndpointCall) -> ToolCall:
    """A step that mails Sam the last tool result the model read, word for word."""
    return send("sam", results_since_question(call.messages)[-1])(call)


def mail_the_last_answer(call: EndpointCall) -> ToolCall:
    """A step that mails Sam the previous answer in its context, word for word."""
    answer = next(m.content for m in reversed(call.messages) if m.role == "assistant")
    return send("sam", answer)(call)


class Recounts(Obeys):
    """An obedient model whose answer, once its script is done, repeats what it read."""

    def answer(self, call: EndpointCall) -> Answer:
        """The next scripted call, then the last tool result as the answer."""
        results = results_since_question(call.messages)
        if len(results) >= len(self.script) and results:
            return f"You wrote: {results[-1]}"
        return super().answer(call)


@pytest.fixture(scope="module")
def far_mailbox() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The off-device mail server's URL, and the calls it received."""
    received: list[dict[str, str]] = []
    with served_on_loopback(mail_server(received).streamable_http_app()) as url:
        yield url, received


def pipeline_for(
    tmp_path: Path,
    mailbox: tuple[str, list[dict[str, str]]],
    policy: Policy,
    *endpoints: Obeys,
    context: ContextStage | None = None,
) -> TurnPipeline:
    """A pipeline whose host has the far mailbox (HTTP) and the diary (on this device)."""
    url, received = mailbox
    received.clear()
    egress = EgressPolicy()
    host = ToolHost(egress_policy=egress)
    host.add_http("mail", url, permission="allow")
    host.add_server("diary", text_server("diary", DIARY))
    detectors = [FunctionDetector(fake_detect), TopicDetector()]
    return TurnPipeline(
        offer_all_tools=True,  # these tests are about the loop, not tool choice
        endpoints={e.name: e for e in endpoints},
        policy=policy,
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=200),
        scanner=Scanner(rules=build_rules([DIARY_RULE, JOURNAL_RULE]), detectors=detectors),
        egress_policy=egress,
        tools=host,
        context=context,
    )


async def run(pipeline: TurnPipeline, *texts: str, **kw: list[Attachment]) -> list[ToolCalled]:
    """Turns in one conversation, with the host connected; the last turn's tool calls."""
    assert pipeline.tools is not None
    events: list[TurnEvent] = []
    async with pipeline.tools:
        for text in texts:
            events = await collect(pipeline, text, session_id="s", **kw)
    return [e for e in events if isinstance(e, ToolCalled)]


def assert_refused(called: ToolCalled, rule: str, model: Obeys) -> None:
    """The call was refused with the notice, and the model read the same sentence."""
    assert called.result.is_error and called.notice is not None
    assert called.notice.startswith(refused(rule)) and called.result.content == called.notice
    [result] = model.requests[-1][-1].tool_results
    assert refused(rule) in result.content


@pytest.mark.parametrize("first", ["device", "cloud"])
async def test_a_diary_entry_read_in_the_turn_never_reaches_an_off_device_tool(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]], first: str
) -> None:
    # On the device from the start, or moved there once the cloud's diary read came back.
    local = Obeys(read_diary, mail_what_was_read, name="local", kind="local")
    cloud = Obeys(read_diary, name="cloud", kind="cloud")
    endpoints = (local, cloud) if first == "cloud" else (local,)
    policy = PreferRemotePolicy() if first == "cloud" else LocalOnlyPolicy()
    pipeline = pipeline_for(tmp_path, far_mailbox, policy, *endpoints)
    read, mailed = await run(pipeline, "tell Sam what I wrote in my diary today")
    assert read.result.content.endswith(DIARY)
    assert_refused(mailed, "rule: diary", local)
    assert far_mailbox[1] == []


async def test_a_turn_kept_local_for_its_topic_never_reaches_an_off_device_tool(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    # The words the model sends on carry no health term, no name, no number.
    local = Obeys(send("sam", "all clear, nothing to worry about"), name="local", kind="local")
    pipeline = pipeline_for(tmp_path, far_mailbox, LocalOnlyPolicy(), local)
    [mailed] = await run(pipeline, "my biopsy came back all clear; let Sam know")
    assert_refused(mailed, "rule: health", local)
    assert far_mailbox[1] == []


async def test_an_attachment_kept_local_by_its_folder_never_reaches_an_off_device_tool(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    page = tmp_path / "journal" / "monday.txt"
    page.parent.mkdir()
    page.write_text(DIARY)
    attached = Attachment(
        name=page.name, mime_type="text/plain", size_bytes=len(DIARY), path=str(page)
    )
    local = Obeys(send("sam", DIARY), name="local", kind="local")
    pipeline = pipeline_for(tmp_path, far_mailbox, LocalOnlyPolicy(), local)
    [mailed] = await run(pipeline, "mail this page to Sam", attachments=[attached])
    assert_refused(mailed, "rule: journal", local)
    assert far_mailbox[1] == []


@pytest.mark.parametrize("packing", ["context stage", "plain"])
async def test_an_earlier_kept_local_turn_in_the_context_keeps_off_device_tools_closed(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]], packing: str
) -> None:
    # The first turn answers from the diary (kept local); the second is clean by
    # itself, but the device packs the first turn's answer into its context.
    local = Recounts(read_diary, name="local", kind="local")
    context = (
        ContextStage(ContextSettings(summary=False), SummaryStore(tmp_path / "s.db"))
        if packing == "context stage"
        else None
    )
    pipeline = pipeline_for(tmp_path, far_mailbox, LocalOnlyPolicy(), local, context=context)
    assert pipeline.tools is not None
    async with pipeline.tools:
        await collect(pipeline, "what did I write in my diary today?", session_id="s")
        local.script = (mail_the_last_answer,)
        events = await collect(pipeline, "mail that to Sam", session_id="s")
    [mailed] = [e for e in events if isinstance(e, ToolCalled)]
    assert_refused(mailed, "an earlier turn of this conversation", local)
    assert far_mailbox[1] == []


async def test_a_turn_with_nothing_kept_local_still_reaches_an_off_device_tool(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    local = Obeys(send("team", "minutes: we ship on Friday"), name="local", kind="local")
    pipeline = pipeline_for(tmp_path, far_mailbox, LocalOnlyPolicy(), local)
    [mailed] = await run(pipeline, "mail the team that we ship on Friday")
    assert not mailed.result.is_error and mailed.notice is None
    assert far_mailbox[1] == [{"to": "team", "body": "minutes: we ship on Friday"}]


FALCON = PrivacyRule(
    name="falcon", keywords=["project Falcon"], action="keep_mine", reason="names a project"
)


async def test_a_turn_kept_on_my_devices_never_reaches_an_off_device_tool(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    # A tool server is never one of the user's devices, even when the edge answering is.
    desk = Obeys(send("sam", "we ship on Friday"), name="desk", kind="edge", mine=True)
    pipeline = pipeline_for(tmp_path, far_mailbox, PreferRemotePolicy(), desk)
    pipeline.scanner = Scanner(
        rules=build_rules([FALCON]), detectors=[FunctionDetector(fake_detect)]
    )
    [mailed] = await run(pipeline, "tell Sam when project Falcon ships")
    assert mailed.notice is not None and mailed.notice.startswith(
        "mail__send was not sent: this turn holds text your privacy rules keep on your "
        "devices (rule: falcon)"
    )
    assert far_mailbox[1] == []


async def test_a_keep_mine_value_in_the_arguments_refuses_the_call(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    local = Obeys(send("sam", "about project Falcon"), name="local", kind="local")
    pipeline = pipeline_for(tmp_path, far_mailbox, LocalOnlyPolicy(), local)
    pipeline.scanner = Scanner(
        rules=build_rules([FALCON]), detectors=[FunctionDetector(fake_detect)]
    )
    [mailed] = await run(pipeline, "mail Sam about the project")
    assert mailed.notice == (
        "mail__send was not sent: the call names a project, which your privacy rules keep on "
        "your devices; leave that out, or use a tool on this device"
    )
    assert far_mailbox[1] == []
