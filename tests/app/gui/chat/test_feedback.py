"""The chat's thumbs and re-answer buttons, as the view-model runs them (no Flet)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from app.gui.chat.feedback import reanswer_label
from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.endpoints.function import FunctionEndpoint
from router.ledger.feedback import FeedbackStore
from router.paths import TandemPaths
from router.runtime.compose import Runtime
from tests.app.conftest import RuntimeFactory
from tests.support.tiers import ASKED, SECRET, SIMILAR, open_two_tiers

KEPT_LOCAL = "A privacy rule keeps this question on this device, so the cloud cannot answer it."


@asynccontextmanager
async def local_chat(fake_runtime: RuntimeFactory, question: str) -> AsyncIterator[ChatViewModel]:
    """A chat over a fake on-device model only, once `question` has been answered."""
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ChatViewModel(runtime)
        await vm.send(question)
        yield vm


@asynccontextmanager
async def tier_chat(
    home: TandemPaths,
    tmp_path: Path,
    question: str = ASKED,
    policy: str = "learned",
    local_answer: str | None = None,
) -> AsyncIterator[tuple[ChatViewModel, FunctionEndpoint]]:
    """A chat over `two_tier_runtime` once `question` has been answered, and its cloud."""
    async with open_two_tiers(home, tmp_path, policy, local_answer) as (runtime, cloud):
        vm = ChatViewModel(runtime)
        await vm.send(question)
        yield vm, cloud


def ratings(runtime: Runtime) -> dict[str, bool]:
    return {r.turn_id: r.good for r in FeedbackStore(runtime.ledger.db).ratings()}


async def test_a_thumb_rates_the_answer_and_pressing_it_again_clears_it(
    fake_runtime: RuntimeFactory,
) -> None:
    async with local_chat(fake_runtime, "hello") as vm:
        answer = vm.messages[1]
        assert answer.turn is not None and answer.rating is None

        await vm.rate(1, good=True)
        assert answer.rating is True and ratings(vm.runtime) == {answer.turn.id: True}
        await vm.rate(1, good=False)  # the other thumb replaces the rating
        assert answer.rating is False and ratings(vm.runtime) == {answer.turn.id: False}
        await vm.rate(1, good=False)  # the same thumb again takes it back
        assert answer.rating is None and ratings(vm.runtime) == {}


async def test_questions_and_errors_cannot_be_rated(fake_runtime: RuntimeFactory) -> None:
    async with local_chat(fake_runtime, "hello") as vm:
        await vm.rate(0, good=True)
        await vm.rate(7, good=True)
        assert ratings(vm.runtime) == {} and vm.messages[0].rating is None
        assert reanswer_label(vm.messages[0]) is None


async def test_ratings_show_again_when_the_conversation_is_reopened(
    fake_runtime: RuntimeFactory,
) -> None:
    async with local_chat(fake_runtime, "one") as vm:
        await vm.send("two")
        await vm.rate(1, good=False)
        await vm.rate(3, good=True)
        session = vm.session_id
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        again = ChatViewModel(runtime)
        again.load_history()
        assert again.session_id == session
        assert [m.rating for m in again.messages] == [None, False, None, True]


async def test_a_device_answer_offers_the_cloud_and_the_cloud_answers_the_same_question(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with tier_chat(tandem_home, tmp_path) as (vm, cloud):
        assert vm.messages[1].badge == "device"
        assert reanswer_label(vm.messages[1]) == "Ask the cloud"
        assert vm.reanswer_refusal(1) is None

        await vm.reanswer(1)
        assert len(vm.messages) == 3  # no second copy of the question
        again = vm.messages[2]
        assert again.role == "assistant" and again.status == "complete"
        assert again.heading == "The cloud's answer to the same question"
        assert again.badge == "cloud" and again.text == f"claude: {ASKED}"
        assert len(cloud.calls) == 1 and not vm.busy and vm.error is None
        # One pair; neither answer offers a third.
        assert reanswer_label(vm.messages[1]) is None and reanswer_label(again) is None
        [pair] = FeedbackStore(vm.runtime.ledger.db).pairs()
        assert again.turn is not None and pair.reanswer_id == again.turn.id

        await vm.rate(2, good=True)  # the re-answer's rating works too
        assert ratings(vm.runtime) == {again.turn.id: True}


async def test_a_reopened_conversation_shows_the_re_answer_labelled_with_its_ratings(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with tier_chat(tandem_home, tmp_path) as (vm, _):
        await vm.reanswer(1)
        await vm.rate(1, good=False)
        await vm.rate(2, good=True)
        session = vm.session_id
    async with open_two_tiers(tandem_home, tmp_path) as (runtime, _):
        vm = ChatViewModel(runtime)
        vm.open_conversation(session)
        assert [(m.role, m.rating) for m in vm.messages] == [
            ("user", None),
            ("assistant", False),
            ("assistant", True),
        ]
        assert vm.messages[1].heading == ""
        assert vm.messages[2].heading == "The cloud's answer to the same question"
        assert reanswer_label(vm.messages[1]) is None


async def test_an_off_device_answer_offers_this_device(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with tier_chat(tandem_home, tmp_path, policy="prefer_remote") as (vm, _):
        assert vm.messages[1].badge == "cloud"
        assert reanswer_label(vm.messages[1]) == "Answer on this device"
        await vm.reanswer(1)
        assert vm.messages[2].heading == "This device's answer to the same question"
        assert vm.messages[2].badge == "device"


async def test_a_kept_local_question_refuses_the_cloud_in_one_sentence(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with tier_chat(tandem_home, tmp_path, SECRET) as (vm, cloud):
        assert reanswer_label(vm.messages[1]) == "Ask the cloud"
        assert vm.reanswer_refusal(1) == KEPT_LOCAL
        await vm.reanswer(1)  # refused: nothing runs, nothing leaves
        assert len(vm.messages) == 2 and cloud.calls == []
        assert vm.error is None and not vm.busy


async def test_a_re_answer_privacy_keeps_on_the_device_says_who_answered(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    # The question may leave, but the first answer (history the cloud would see) may not.
    async with tier_chat(tandem_home, tmp_path, local_answer="Ask project bluebird.") as (
        vm,
        cloud,
    ):
        assert vm.reanswer_refusal(1) is None
        await vm.reanswer(1)
        again = vm.messages[2]
        assert again.badge == "device" and cloud.calls == []
        assert again.heading == "You asked the cloud; this device answered the same question"
        # No pair of tiers came of it: the pipeline would keep it local again, but may be asked.
        assert FeedbackStore(vm.runtime.ledger.db).pairs() == []
        assert reanswer_label(vm.messages[1]) == "Ask the cloud"


async def test_a_re_answer_of_an_earlier_turn_quotes_its_question(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with tier_chat(tandem_home, tmp_path) as (vm, _):
        await vm.send("Thanks!")
        await vm.reanswer(1)
        assert vm.messages[-1].heading == f"The cloud's answer to “{ASKED}”"


async def test_a_bad_rating_in_the_chat_sends_the_next_similar_question_to_the_cloud(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with tier_chat(tandem_home, tmp_path) as (vm, cloud):
        assert vm.messages[1].badge == "device"
        await vm.rate(1, good=False)
        await vm.send(SIMILAR)
        assert vm.messages[3].badge == "cloud" and len(cloud.calls) == 1
        assert "your ratings: cloud better on similar prompts" in vm.messages[3].route
