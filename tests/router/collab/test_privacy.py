"""Adversarial privacy tests: a fake cloud agent records every request it is sent."""

import pytest

from router.collab.agents import TeamConfigError
from router.collab.privacy import TeamPrivacy
from router.collab.records import Subtask
from router.collab.run import TeamPlan, run_team
from router.collab.topology import mesh, star
from router.endpoints.fake import FakeEndpoint
from router.errors import EgressBlockedError
from router.privacy.detectors.registry import default_detectors
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Message
from tests.router.collab.helpers import sent_text, team_of

EMAIL, PHONE, PHONE_DIGITS = "bob.smith@example.com", "555-867-5309", "5558675309"
CARD = "4111 1111 1111 1111"
QUESTION = f"Draft a reply to {EMAIL}, who called from {PHONE}. What should I say?"


def gate(**kwargs) -> TeamPrivacy:
    rules = build_rules(
        [
            PrivacyRule(
                name="falcon",
                keywords=["project Falcon"],
                action="keep_local",
                reason="is about Falcon",
            )
        ]
    )
    return TeamPrivacy(
        scanner=Scanner(
            rules=rules, detectors=default_detectors(ner=False, topics=False, names=False)
        ),
        **kwargs,
    )


def leaky_local(messages: list[Message]) -> str:
    """A device agent that repeats every private value it saw, in other spellings too,
    and adds a new one (an email and a card number the task never contained)."""
    return (
        f"Reply to {EMAIL} (call back on {PHONE_DIGITS}); cc alice@secret.org, "
        f"pay with {CARD}. Final: 3"
    )


def cloud(name: str = "cloud") -> FakeEndpoint:
    return FakeEndpoint(
        lambda m: "I suggest writing to [EMAIL_ADDRESS_1]. Final: 3", name=name, kind="cloud"
    )


async def test_relayed_private_values_never_reach_a_cloud_agent() -> None:
    remote = cloud()
    local = FakeEndpoint(leaky_local, kind="local")
    result = await run_team(
        QUESTION, team_of([local, remote, local]), mesh(3), TeamPlan(rounds=2), gate()
    )
    sent = sent_text(remote.requests)
    assert len(remote.requests) == 3  # round 0 and two revisions
    for secret in (EMAIL, PHONE, PHONE_DIGITS, "alice@secret.org", CARD, CARD.replace(" ", "")):
        assert secret not in sent
    assert "[EMAIL_ADDRESS_1]" in sent and "[PHONE_NUMBER_1]" in sent
    assert result.privacy.startswith("redacted for off-device agents (EMAIL_ADDRESS, PHONE_NUMBER)")


async def test_device_agents_and_the_final_answer_get_the_real_values_back() -> None:
    remote = cloud()
    local = FakeEndpoint(lambda _m: "ok. Final: 4", kind="local")
    plan = TeamPlan(rounds=1, ending="judge")
    judge_answer = FakeEndpoint(
        lambda m: m[-1].content, kind="cloud"
    )  # the judge echoes its prompt
    result = await run_team(QUESTION, team_of([judge_answer, remote, local]), star(3), plan, gate())
    # The device agent heard the cloud agent's placeholder as the real address.
    assert any(EMAIL in m.content for r in local.requests for m in r)
    # The cloud judge wrote placeholders; the answer shown on the device has the real values.
    assert "[EMAIL_ADDRESS_1]" in sent_text(judge_answer.requests)
    assert EMAIL in result.answer and "[EMAIL_ADDRESS_1]" not in result.answer


async def test_a_keep_local_task_runs_on_device_agents_only() -> None:
    remote = cloud()
    local = FakeEndpoint(lambda _m: "Final: 1", kind="local")
    question = f"Is the card {CARD} still valid?"
    result = await run_team(
        question, team_of([local, remote, local]), mesh(3), TeamPlan(rounds=2), gate()
    )
    assert remote.requests == []
    assert result.excluded_agents == (1,)
    assert result.privacy == "kept on this device: contains a card number"
    assert all(1 not in (m.sender, m.receiver) for m in result.messages)
    assert result.status == "complete"


async def test_a_keep_local_task_without_device_agents_is_refused() -> None:
    with pytest.raises(TeamConfigError, match="add a local agent"):
        await run_team(f"card {CARD}", team_of([cloud(), cloud()]), mesh(2), TeamPlan(), gate())


async def test_a_keep_local_subtask_goes_to_a_device_worker() -> None:
    def planner(messages: list[Message]) -> str:
        if "split tasks" in messages[0].content:
            return "1. summarize the project Falcon budget\n2. write a slogan\n3. write a tagline"
        return "combined"

    remote = FakeEndpoint(lambda _m: "slogan", name="cloud", kind="cloud")
    local = FakeEndpoint(lambda _m: "summary", kind="local")
    result = await run_team(
        "Plan our launch",
        team_of([FakeEndpoint(planner, kind="local"), remote, local]),
        mesh(3),
        TeamPlan(pattern="divide"),
        gate(),
    )
    falcon = next(
        m for m in result.messages if isinstance(m.record, Subtask) and m.record.index == 0
    )
    assert falcon.receiver == 2  # round-robin would have picked the cloud worker
    assert "Falcon" not in sent_text(remote.requests)
    assert len(remote.requests) == 1


async def test_the_egress_check_blocks_a_prompt_that_redaction_missed(monkeypatch) -> None:
    # Simulate a redaction bug: the prompt leaves unredacted; the byte check must stop it.
    monkeypatch.setattr(Pseudonymizer, "redact_message", lambda self, m: m)
    remote = cloud()
    local = FakeEndpoint(lambda _m: "Final: 2", kind="local")
    result = await run_team(QUESTION, team_of([local, remote]), mesh(2), TeamPlan(rounds=1), gate())
    assert remote.requests == []
    blocked = [a for a in result.answers if a.agent == 1]
    assert blocked and all(
        a.error.startswith("blocked a request to an off-device team agent") for a in blocked
    )
    assert result.answer == "Final: 2"


async def test_the_shared_http_egress_guard_holds_the_values_while_the_team_runs() -> None:
    policy = EgressPolicy()
    seen: list[bool] = []

    def probing_cloud(_m: list[Message]) -> str:
        # What the guarded HTTP client of a real cloud endpoint would check.
        try:
            policy.check(f'{{"content": "{PHONE}"}}'.encode(), endpoint="cloud")
            seen.append(False)
        except EgressBlockedError:
            seen.append(True)
        return "Final: 5"

    remote = FakeEndpoint(probing_cloud, kind="cloud")
    await run_team(QUESTION, team_of([remote]), mesh(1), TeamPlan(rounds=0), gate(egress=policy))
    assert seen == [True]
    policy.check(PHONE.encode(), endpoint="cloud")  # released once the run is over


async def test_outbound_restores_placeholders_for_device_agents_only() -> None:
    privacy = gate()
    await privacy.assess(QUESTION)
    note = [Message(role="user", content="write to [EMAIL_ADDRESS_1]")]
    assert (await privacy.outbound(note, off_device=False))[0].content == f"write to {EMAIL}"
    assert (await privacy.outbound(note, off_device=True))[
        0
    ].content == "write to [EMAIL_ADDRESS_1]"
    privacy.close()


async def test_without_a_gate_off_device_agents_still_get_the_default_scan() -> None:
    remote = cloud()
    local = FakeEndpoint(lambda _m: "Final: 1", kind="local")
    result = await run_team(f"Is {CARD} valid?", team_of([local, remote]), mesh(2), TeamPlan())
    assert remote.requests == [] and result.excluded_agents == (1,)


async def test_placeholders_are_not_mistaken_for_new_private_names() -> None:
    # The strict name check flags words in capitals, which placeholders are.
    privacy = TeamPrivacy(
        scanner=Scanner(detectors=default_detectors(ner=False, topics=False, names=True))
    )
    await privacy.assess(QUESTION)
    note = [Message(role="user", content=f"Agent 2 says: write to {EMAIL} soon. Final: 3")]
    sent = (await privacy.outbound(note, off_device=True))[0].content
    assert sent == "Agent 2 says: write to [EMAIL_ADDRESS_1] soon. Final: 3"
    privacy.close()
