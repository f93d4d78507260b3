"""Team mode in the chat keeps private values away from cloud agents (the privacy invariant).

The team is one fake device agent and one fake cloud agent that records every
request it gets; the chat's runtime brings the default privacy rules.
"""

from collections.abc import AsyncIterator

import pytest

from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime

CARD = "4111 1111 1111 1111"
EMAIL = "bob.smith@example.com"


@pytest.fixture(autouse=True)
def _pattern_detectors_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_PRIVACY__NER", "false")  # spaCy takes long to load


@pytest.fixture
def cloud() -> FakeEndpoint:
    return FakeEndpoint(lambda _m: "Pay it off. Final: 1", name="cloud", kind="cloud")


@pytest.fixture
async def runtime(tandem_home: TandemPaths, cloud: FakeEndpoint) -> AsyncIterator[Runtime]:
    device = FakeEndpoint(
        lambda _m: f"Card {CARD} and {EMAIL}: pay it off. Final: 1", name="local", kind="local"
    )
    built = build_runtime(tandem_home, endpoints={"local": device, "cloud": cloud})
    try:
        yield built
    finally:
        await built.aclose()


def team_chat(runtime: Runtime) -> ChatViewModel:
    vm = ChatViewModel(runtime)
    vm.team.config.agents = ["local", "cloud"]
    vm.set_team_mode(True)
    return vm


def everything_sent(endpoint: FakeEndpoint) -> str:
    return "\n".join(m.model_dump_json() for request in endpoint.requests for m in request)


async def test_a_card_number_never_reaches_the_cloud_agent(
    runtime: Runtime, cloud: FakeEndpoint
) -> None:
    vm = team_chat(runtime)
    await vm.send(f"Should I pay off my card {CARD} this month?")
    reply = vm.messages[-1]
    assert (reply.badge, reply.status) == ("team", "complete")
    assert CARD not in everything_sent(cloud) and CARD.replace(" ", "") not in everything_sent(
        cloud
    )
    assert cloud.requests == []  # a keep-local verdict: the cloud agent sits out
    assert reply.detail is not None
    assert reply.detail.privacy == "kept on this device: contains a card number"
    assert "agent a2 (cloud) · sat out: the question stays on this device" in reply.detail.sent


async def test_a_redacted_value_reaches_the_cloud_agent_only_as_a_placeholder(
    runtime: Runtime, cloud: FakeEndpoint
) -> None:
    vm = team_chat(runtime)
    await vm.send(f"Draft a short reply to {EMAIL} about the meeting.")
    assert vm.messages[-1].status == "complete"
    sent = everything_sent(cloud)
    assert cloud.requests, "the cloud agent takes part when nothing must stay local"
    # The device agent repeats the email and adds a card number; neither may leave.
    assert EMAIL not in sent and CARD not in sent and CARD.replace(" ", "") not in sent
    assert "[EMAIL_ADDRESS_1]" in sent
