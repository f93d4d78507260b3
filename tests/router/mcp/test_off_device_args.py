"""Arguments to an off-device tool leave the device: the privacy scan and rules decide them.

A mail server on loopback over streamable HTTP (another machine, as far as Tandem
knows) records every call it gets; scripted models that do whatever they are
asked try to send it what the rules keep on the device or only let out redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from router.endpoints.base import StreamEnd, ToolCallRequested
from router.endpoints.function import Answer, EndpointCall, FunctionEndpoint
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.store import Ledger
from router.mcp.host import ToolHost
from router.mcp.off_device import prepare_off_device
from router.policy.decide import LocalOnlyPolicy, Policy, PreferRemotePolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.turn.events import ToolCalled, TurnEvent, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import EndpointKind, FindingAction, GenerationOptions, ToolCall, Usage
from tests.router.mcp.servers import mail_server, text_server
from tests.router.privacy.test_scan import fake_detect
from tests.support.loopback import served_on_loopback
from tests.support.pipeline import collect
from tests.support.tool_endpoint import results_since_question

CARD = "4111 1111 1111 1111"
EMAIL = "alice@example.org"
KEPT_NOTICE = (
    "mail__send was not sent: the call contains a card number, "
    "which your privacy rules keep on this device"
)

Step = Callable[[EndpointCall], ToolCall]
"""What the model asks for in one round, written from what it has read."""


class Obeys(FunctionEndpoint):
    """A worst-case model: round after round it makes the calls its script writes."""

    def __init__(self, *script: Step, name: str, kind: EndpointKind, mine: bool = False) -> None:
        super().__init__(self.answer, name=name, kind=kind, mine=mine)
        self.script = script

    def answer(self, call: EndpointCall) -> Answer:
        """The next scripted call (one per round since the question), then a short answer."""
        done = len(results_since_question(call.messages))
        if done >= len(self.script):
            return "done"
        requested = self.script[done](call)
        end = StreamEnd(usage=Usage(output_tokens=3), finish_reason="tool_use")
        return [ToolCallRequested(call=requested), end]


def send(to: str, body: str, tool: str = "mail__send") -> Step:
    """A step that sends `body` to `to` with `tool`."""
    return lambda call: ToolCall(id=f"c{call.index}", name=tool, arguments={"to": to, "body": body})


def read_bank(call: EndpointCall) -> ToolCall:
    """A step that reads the bank statement (it holds a card number)."""
    return ToolCall(id=f"c{call.index}", name="bank__read")


@pytest.fixture(scope="module")
def far_mailbox() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The off-device mail server's URL, and the calls it received."""
    received: list[dict[str, str]] = []
    with served_on_loopback(mail_server(received).streamable_http_app()) as url:
        yield url, received


class Setup:
    """A pipeline whose host has the far mailbox (HTTP), a mailbox on this device, and a bank."""

    def __init__(
        self,
        tmp_path: Path,
        mailbox: tuple[str, list[dict[str, str]]],
        policy: Policy,
        **endpoints: Obeys,
    ) -> None:
        url, self.far = mailbox
        self.far.clear()
        self.near: list[dict[str, str]] = []
        self.egress = EgressPolicy()
        self.host = ToolHost(egress_policy=self.egress)
        self.host.add_http("mail", url, permission="allow")
        self.host.add_server("nearmail", mail_server(self.near))
        self.host.add_server("bank", text_server("bank", f"statement: card {CARD}, due 3 May"))
        self.pipeline = TurnPipeline(
            offer_all_tools=True,  # these tests are about the loop, not tool choice
            endpoints=dict(endpoints),
            policy=policy,
            ledger=Ledger(tmp_path / "ledger.db"),
            generation=GenerationOptions(max_tokens=200),
            scanner=Scanner(detectors=[FunctionDetector(fake_detect)]),
            egress_policy=self.egress,
            tools=self.host,
        )

    async def run(self, text: str) -> list[TurnEvent]:
        """One turn, with the host connected."""
        async with self.host:
            return await collect(self.pipeline, text, session_id="s")


def _calls(events: list[TurnEvent]) -> list[ToolCalled]:
    return [e for e in events if isinstance(e, ToolCalled)]


async def test_a_card_in_the_prompt_is_never_sent_to_an_off_device_tool(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    local = Obeys(send("accounts", f"my card is {CARD}"), name="local", kind="local")
    setup = Setup(tmp_path, far_mailbox, LocalOnlyPolicy(), local=local)
    events = await setup.run(f"send my card {CARD} to accounts")
    [called] = _calls(events)
    assert called.result.is_error and called.result.content.startswith(KEPT_NOTICE)
    assert called.notice is not None and called.notice.startswith(KEPT_NOTICE)
    assert setup.far == []
    # The model read why, in the next round.
    [result] = local.requests[-1][-1].tool_results
    assert KEPT_NOTICE in result.content


@pytest.mark.parametrize("spelling", [CARD, CARD.replace(" ", "")])
async def test_a_card_read_from_a_tool_result_is_never_sent_to_an_off_device_tool(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]], spelling: str
) -> None:
    # The cloud reads the statement; its card moves the turn to the device, whose
    # model then tries to mail the card on (without its spaces, the detector misses it,
    # but the turn already knows the value).
    cloud = Obeys(read_bank, name="cloud", kind="cloud")
    local = Obeys(read_bank, send("accounts", f"card: {spelling}"), name="local", kind="local")
    setup = Setup(tmp_path, far_mailbox, PreferRemotePolicy(), cloud=cloud, local=local)
    events = await setup.run("pay my bill using the bank statement")
    read, mailed = _calls(events)
    assert CARD in read.result.content
    assert mailed.result.is_error and mailed.notice is not None
    assert mailed.notice.startswith(KEPT_NOTICE)
    assert setup.far == []


async def test_the_same_call_to_a_tool_on_this_device_gets_the_card(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    local = Obeys(send("accounts", f"card {CARD}", "nearmail__send"), name="local", kind="local")
    setup = Setup(tmp_path, far_mailbox, LocalOnlyPolicy(), local=local)
    events = await setup.run(f"note my card {CARD}")
    [called] = _calls(events)
    assert not called.result.is_error and called.notice is None
    assert setup.near == [{"to": "accounts", "body": f"card {CARD}"}]


def _mail_the_minutes(tool: str) -> Step:
    """A cloud step: mail the minutes to the address at the end of the (redacted) question."""
    return lambda call: send(call.question.split()[-1], "the minutes", tool)(call)


async def test_an_email_redacted_in_the_prompt_reaches_an_off_device_tool_as_its_placeholder(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    cloud = Obeys(_mail_the_minutes("mail__send"), name="cloud", kind="cloud")
    local = Obeys(name="local", kind="local")
    setup = Setup(tmp_path, far_mailbox, PreferRemotePolicy(), cloud=cloud, local=local)
    events = await setup.run(f"mail the minutes to {EMAIL}")
    placeholder = cloud.requests[0][-1].content.split()[-1]
    assert placeholder != EMAIL and EMAIL not in placeholder
    assert setup.far == [{"to": placeholder, "body": "the minutes"}]
    [called] = _calls(events)
    assert not called.result.is_error and called.call.arguments["to"] == placeholder
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.status == "complete"


async def test_an_email_redacted_in_the_prompt_reaches_a_tool_on_this_device_in_full(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    cloud = Obeys(_mail_the_minutes("nearmail__send"), name="cloud", kind="cloud")
    local = Obeys(name="local", kind="local")
    setup = Setup(tmp_path, far_mailbox, PreferRemotePolicy(), cloud=cloud, local=local)
    await setup.run(f"mail the minutes to {EMAIL}")
    assert setup.near == [{"to": EMAIL, "body": "the minutes"}]
    assert setup.far == []


async def test_redact_values_a_device_model_writes_leave_only_as_placeholders(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    # The email was in the prompt; the name appears only in the arguments.
    local = Obeys(send(EMAIL, f"hello {EMAIL}, from Alice Smith"), name="local", kind="local")
    setup = Setup(tmp_path, far_mailbox, LocalOnlyPolicy(), local=local)
    events = await setup.run(f"say hello to {EMAIL}")
    [received] = setup.far
    assert EMAIL not in str(received) and "Alice Smith" not in str(received)
    to = received["to"]
    assert received["body"].startswith(f"hello {to}, from ") and to.startswith("[")
    [called] = _calls(events)
    assert called.call.arguments == received  # the event shows what left


def _account_rule(action: FindingAction) -> Scanner:
    rule = PrivacyRule(name="account", keywords=["90210417"], action=action, reason="is my account")
    return Scanner(rules=build_rules([rule]), detectors=[FunctionDetector(fake_detect)])


def test_a_number_argument_is_scanned_and_redacted_like_text() -> None:
    requested = ToolCall(id="c", name="bank__pay", arguments={"to": [90210417], "cents": 1200})
    pseudonymizer = Pseudonymizer(PseudonymStore(), "s")
    prepared = prepare_off_device(requested, _account_rule("redact"), pseudonymizer)
    assert prepared.refusal is None
    assert prepared.call.arguments == {"to": ["[KEYWORD_1]"], "cents": 1200}
    kept = prepare_off_device(requested, _account_rule("keep_local"), pseudonymizer)
    assert kept.refusal is not None and kept.refusal.startswith(
        "bank__pay was not sent: the call is my account, which your privacy rules keep"
    )
    assert kept.call == requested  # nothing was sent; the event shows what was asked
