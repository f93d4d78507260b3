from collections.abc import Sequence
from pathlib import Path

import pytest

from router.context.summary import due_turns, refresh_summary
from router.context.turns import HistoryTurn, history_turns
from router.endpoints.fake import FakeEndpoint
from router.errors import TandemError
from router.ledger.store import Ledger
from router.ledger.summaries import SessionSummary, SummaryStore
from router.privacy.detectors.registry import default_detectors
from router.privacy.scan import Scanner
from router.types import FindingAction, Message, RouteDecision, Turn


def _turn(seq: int, text: str, action: FindingAction = "allow") -> HistoryTurn:
    return HistoryTurn(
        seq=seq,
        messages=(Message(role="user", content=text), Message(role="assistant", content="ok")),
        privacy_action=action,
    )


class Scripted:
    """Answers each summary request with the next scripted text."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)

    def __call__(self, messages: Sequence[Message]) -> str:
        return self.answers.pop(0)


def _scanner() -> Scanner:
    return Scanner(detectors=default_detectors(ner=False, topics=False))


async def test_nothing_due_means_no_model_call() -> None:
    store, endpoint = SummaryStore(), FakeEndpoint(Scripted())
    result = await refresh_summary(store, endpoint, "s", [_turn(0, "hi")], every_n_turns=2)
    assert result is None and endpoint.requests == []


async def test_second_refresh_sends_only_new_turns_and_the_old_summary() -> None:
    store = SummaryStore()
    endpoint = FakeEndpoint(Scripted("Anna owns a red kayak.", "Anna owns a red kayak and a tent."))
    turns = [_turn(0, "I own a red kayak."), _turn(1, "It is three metres long.")]
    first = await refresh_summary(store, endpoint, "s", turns, every_n_turns=2)
    assert first == SessionSummary("s", 1, "Anna owns a red kayak.", "allow")
    turns += [_turn(2, "I also bought a tent."), _turn(3, "It sleeps two.")]
    # One new turn is not enough for a refresh: no call, same summary.
    assert await refresh_summary(store, endpoint, "s", turns[:3], every_n_turns=2) == first
    second = await refresh_summary(store, endpoint, "s", turns, every_n_turns=2)
    assert second is not None and second.covers_up_to_seq == 3
    assert second.text.endswith("and a tent.")
    assert len(endpoint.requests) == 2
    sent = "\n".join(m.content for m in endpoint.requests[1])
    assert "Anna owns a red kayak." in sent
    assert "I also bought a tent." in sent and "It sleeps two." in sent
    assert "red kayak." not in sent.replace("Anna owns a red kayak.", "")
    assert "three metres" not in sent
    assert store.get("s") == second


async def test_a_keep_local_turn_makes_the_summary_keep_local_for_good() -> None:
    store = SummaryStore()
    endpoint = FakeEndpoint(Scripted("Bob has a checkup.", "Bob likes tea."))
    turns = [_turn(0, "My diagnosis is private", "keep_local"), _turn(1, "hello")]
    first = await refresh_summary(store, endpoint, "s", turns, _scanner(), every_n_turns=1)
    assert first is not None and first.privacy_action == "keep_local"
    # Later turns are harmless, but the summary still carries what it read before.
    turns.append(_turn(2, "I like tea"))
    second = await refresh_summary(store, endpoint, "s", turns, _scanner(), every_n_turns=1)
    assert second is not None and second.privacy_action == "keep_local"


async def test_a_summary_whose_text_scans_keep_local_is_keep_local() -> None:
    store = SummaryStore()
    endpoint = FakeEndpoint(Scripted("The card 4111 1111 1111 1111 pays for the trip."))
    result = await refresh_summary(
        store, endpoint, "s", [_turn(0, "details")], _scanner(), every_n_turns=1
    )
    assert result is not None and result.privacy_action == "keep_local"


async def test_summary_length_is_bounded() -> None:
    store = SummaryStore()
    endpoint = FakeEndpoint(Scripted("word " * 1000))
    result = await refresh_summary(store, endpoint, "s", [_turn(0, "x")], every_n_turns=1,
                                   max_words=40)  # fmt: skip
    assert result is not None and 40 <= len(result.text.split()) <= 60


async def test_turns_too_many_for_one_request_are_folded_in_over_several() -> None:
    store = SummaryStore()
    endpoint = FakeEndpoint(Scripted("one", "two", "three", "four"), context_window=700)
    turns = [_turn(i, f"turn {i} " + "z" * 800) for i in range(4)]
    result = await refresh_summary(store, endpoint, "s", turns, every_n_turns=1, max_words=50)
    assert result is not None and result.covers_up_to_seq == 3
    assert len(endpoint.requests) >= 2
    assert "turn 0 " not in "".join(m.content for m in endpoint.requests[-1])
    assert all(endpoint.count_tokens(r) <= 700 for r in endpoint.requests)


async def test_a_remote_endpoint_may_not_write_the_summary() -> None:
    with pytest.raises(TandemError):
        await refresh_summary(SummaryStore(), FakeEndpoint(kind="cloud"), "s", [_turn(0, "x")],
                              every_n_turns=1)  # fmt: skip


def test_store_shares_the_ledger_file_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    store = SummaryStore(path)
    store.put(SessionSummary("s", 4, "text", "keep_local"))
    store.close()
    assert SummaryStore(path).get("s") == SessionSummary("s", 4, "text", "keep_local")
    assert ledger.history("s") == []


def test_due_turns_and_ledger_turns() -> None:
    route = RouteDecision(endpoint="e", endpoint_kind="local", policy="p", reason="r",
                          privacy_action="keep_local")  # fmt: skip
    turns = [
        Turn(session_id="s", seq=0, user_text="a", answer="b", status="complete", route=route),
        Turn(session_id="s", seq=1, user_text="c", status="cancelled"),
    ]
    converted = history_turns(turns)
    assert [(t.seq, t.privacy_action) for t in converted] == [(0, "keep_local")]
    assert [t.seq for t in due_turns(SessionSummary("s", 0, "x"), [_turn(0, "a"), _turn(1, "b")],
                                     1)] == [1]  # fmt: skip


@pytest.mark.bundled
async def test_the_bundled_model_keeps_an_early_fact_across_refreshes(bundled_gguf: Path) -> None:
    from router.endpoints.llama_cpp import LlamaCppEndpoint

    chat = [
        ("My name is Priya and my dog is called Biscuit.", "Nice to meet you, Priya!"),
        ("What goes into pancakes?", "Flour, eggs, milk and a pinch of salt."),
        ("How do I reverse a list in Python?", "Use my_list.reverse() or reversed(my_list)."),
        ("I am flying to Lisbon on Friday.", "Have a good trip to Lisbon!"),
    ]
    turns = [
        HistoryTurn(seq=i, messages=(Message(role="user", content=q),
                                     Message(role="assistant", content=a)))
        for i, (q, a) in enumerate(chat)
    ]  # fmt: skip
    store, endpoint = SummaryStore(), LlamaCppEndpoint(bundled_gguf, n_ctx=2048)
    first = await refresh_summary(store, endpoint, "s", turns[:2], every_n_turns=2, max_words=60)
    assert first is not None and "Biscuit" in first.text
    second = await refresh_summary(store, endpoint, "s", turns, every_n_turns=2, max_words=60)
    assert second is not None and second.covers_up_to_seq == 3
    assert "Biscuit" in second.text  # the early fact survived the incremental update
    assert "Lisbon" in second.text  # and the new turns were folded in
