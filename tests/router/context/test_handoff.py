from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.context.handoff import (
    HandoffPlan,
    pack_handoff,
    plan_from_settings,
    prompt_budget,
)
from router.context.retrieval import EmbeddingRetriever, MemoryStoreRetriever
from router.context.settings import ContextSettings
from router.context.turns import HistoryTurn, ScoredTurn
from router.endpoints.fake import FakeEndpoint
from router.errors import EmptyPromptError, PromptTooLongError
from router.ledger.summaries import SessionSummary
from router.privacy.zones import may_reach
from router.types import FindingAction, Message, TurnRequest


def _turn(seq: int, question: str, answer: str, action: FindingAction = "allow") -> HistoryTurn:
    return HistoryTurn(
        seq=seq,
        messages=(
            Message(role="user", content=question),
            Message(role="assistant", content=answer),
        ),
        turn_id=f"t{seq}",
        privacy_action=action,
    )


def _filler(n: int, start: int = 0) -> list[HistoryTurn]:
    return [_turn(start + i, f"question {start + i} " + "x" * 60, f"answer {start + i} " + "y" * 60)
            for i in range(n)]  # fmt: skip


class BySeq:
    """Ranks oldest first: deterministic, and independent of the text."""

    def __init__(self) -> None:
        self.seen: list[list[int]] = []

    def rank(self, query: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
        self.seen.append([t.seq for t in candidates])
        return [ScoredTurn(t, 1.0 / (1 + t.seq)) for t in candidates]


def _request(text: str = "what now?") -> TurnRequest:
    return TurnRequest(text=text, session_id="s")


@pytest.mark.parametrize("budget", [60, 120, 250, 400, 900])
def test_the_packed_prompt_never_exceeds_the_budget(budget: int) -> None:
    endpoint = FakeEndpoint(context_window=4096)
    summary = SessionSummary("s", 5, "The user likes sailing. " * 10)
    out = pack_handoff(_request(), _filler(30), endpoint, system_prompt="Be brief.",
                       reserve_output_tokens=0, plan=HandoffPlan(prompt_budget=budget),
                       summary=summary, retriever=BySeq())  # fmt: skip
    assert endpoint.count_tokens(out.packed.messages) == out.packed.input_tokens <= budget
    assert out.budget == budget
    assert out.dropped_turns == 30 - len(out.included_turn_seqs) == out.packed.dropped_turns


def test_recent_turns_are_verbatim_in_order_before_the_new_message() -> None:
    history = _filler(10)
    out = pack_handoff(_request("next?"), history, FakeEndpoint(), system_prompt="sys",
                       reserve_output_tokens=100, plan=HandoffPlan(recent_turns=3),
                       retriever=BySeq())  # fmt: skip
    tail = out.packed.messages[-7:]
    expected = [m for t in history[-3:] for m in t.messages]
    assert list(tail[:-1]) == expected
    assert tail[-1] == Message(role="user", content="next?")
    assert {7, 8, 9} <= set(out.included_turn_seqs)
    assert not {7, 8, 9} & set(out.retrieved_turn_seqs)


def test_retrieved_turns_come_before_the_recent_ones_oldest_first() -> None:
    out = pack_handoff(_request(), _filler(10), FakeEndpoint(), system_prompt="sys",
                       reserve_output_tokens=100,
                       plan=HandoffPlan(recent_turns=2, local_retrieved_turns=3),
                       retriever=BySeq())  # fmt: skip
    assert out.retrieved_turn_seqs == (0, 1, 2)
    block = out.packed.messages[1]
    assert block.role == "user"
    positions = [block.content.index(f"question {i} ") for i in (0, 1, 2)]
    assert positions == sorted(positions)
    assert "question 5 " not in "".join(m.content for m in out.packed.messages)


def test_an_early_fact_is_retrieved_over_distractors() -> None:
    fact = _turn(0, "By the way, my sister Ingrid moved to Reykjavik in Iceland last spring.",
                 "Noted, Ingrid now lives in Reykjavik.")  # fmt: skip
    topics = ["pasta recipes", "python decorators", "the football match", "tax forms",
              "houseplants", "a film about space", "running shoes", "a jazz concert"]  # fmt: skip
    distractors = [_turn(i + 1, f"Tell me about {t}.", f"Here is something about {t}.")
                   for i, t in enumerate(topics)]  # fmt: skip
    out = pack_handoff(_request("Which city does my sister live in now?"), [fact, *distractors],
                       FakeEndpoint(), system_prompt="", reserve_output_tokens=100,
                       plan=HandoffPlan(recent_turns=1, local_retrieved_turns=1),
                       retriever=EmbeddingRetriever())  # fmt: skip
    assert out.retrieved_turn_seqs == (0,)
    assert "Reykjavik" in out.packed.messages[0].content


def test_stable_prefix_is_the_system_prompt_and_the_summary() -> None:
    summary = SessionSummary("s", 3, "The user is planning a trip to Oslo.")
    kwargs = {"reserve_output_tokens": 100, "retriever": BySeq()}
    with_both = pack_handoff(_request(), _filler(6), FakeEndpoint(), system_prompt="sys",
                             summary=summary, **kwargs)  # type: ignore[arg-type]  # fmt: skip
    assert with_both.stable_prefix_messages == 1 and with_both.summary_used
    first = with_both.packed.messages[0]
    assert first.role == "system" and first.content.startswith("sys")
    assert "Oslo" in first.content
    assert all(m.role != "system" for m in with_both.packed.messages[1:])
    bare = pack_handoff(_request(), _filler(6), FakeEndpoint(), system_prompt="",
                        **kwargs)  # type: ignore[arg-type]  # fmt: skip
    assert bare.stable_prefix_messages == 0 and not bare.summary_used
    assert bare.packed.messages[0].role != "system"


_ACTIONS = ["allow", "redact", "keep_mine", "keep_local"]


@st.composite
def _histories(draw: st.DrawFn) -> tuple[list[HistoryTurn], FindingAction]:
    actions = draw(st.lists(st.sampled_from(_ACTIONS), max_size=25))
    sizes = draw(st.lists(st.integers(0, 200), min_size=len(actions), max_size=len(actions)))
    turns = [_turn(i, f"Q{i}-{a} " + "q" * n, f"A{i}-{a} " + "a" * n, a)
             for i, (a, n) in enumerate(zip(actions, sizes, strict=True))]  # fmt: skip
    summary_action = draw(st.sampled_from(_ACTIONS))
    return turns, summary_action


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=_histories(),
    where=st.sampled_from([("cloud", False), ("edge", False), ("edge", True), ("local", False)]),
    budget=st.integers(40, 3000),
    recent=st.integers(0, 5),
)
def test_kept_turns_and_summaries_never_reach_a_zone_they_may_not(
    data: tuple[list[HistoryTurn], FindingAction],
    where: tuple[str, bool],
    budget: int,
    recent: int,
) -> None:
    history, summary_action = data
    kind, mine = where
    summary = SessionSummary("s", 3, f"SUMMARY-{summary_action}", summary_action)
    endpoint = FakeEndpoint(kind=kind, mine=mine, context_window=8192)  # type: ignore[arg-type]
    out = pack_handoff(_request("go"), history, endpoint, system_prompt="sys",
                       reserve_output_tokens=0,
                       plan=HandoffPlan(recent_turns=recent, prompt_budget=budget,
                                        retrieved_turns=50, local_retrieved_turns=50),
                       summary=summary, retriever=BySeq())  # fmt: skip
    text = "\n".join(m.content for m in out.packed.messages)
    barred = {t.seq for t in history if not may_reach(t.privacy_action, endpoint.zone)}
    assert out.packed.input_tokens <= budget
    # The packed context knows whether it carries kept text (the tool loop asks).
    assert out.packed.holds_kept_local == ("-keep_local" in text or "-keep_mine" in text)
    assert not barred & set(out.included_turn_seqs)
    assert out.withheld_turns == len(barred)
    assert not (out.summary_used and not may_reach(summary_action, endpoint.zone))
    if endpoint.zone != "device":
        assert "-keep_local" not in text
    if endpoint.zone == "cloud":
        assert "-keep_mine" not in text


def test_an_edge_of_mine_gets_keep_mine_turns_and_summary_but_not_keep_local_ones() -> None:
    history = [
        _turn(0, "falcon budget", "3M", "keep_mine"),
        _turn(1, "my card", "ok", "keep_local"),
    ]
    summary = SessionSummary("s", 1, "The user runs project Falcon.", "keep_mine")
    desk = FakeEndpoint(kind="edge", mine=True, context_window=8192)
    out = pack_handoff(_request(), history, desk, system_prompt="", reserve_output_tokens=0,
                       plan=HandoffPlan(recent_turns=5), summary=summary)  # fmt: skip
    assert out.included_turn_seqs == (0,) and out.summary_used
    assert out.packed.holds_kept_local
    cloud = pack_handoff(_request(), history, FakeEndpoint(kind="cloud"), system_prompt="",
                         reserve_output_tokens=0, plan=HandoffPlan(recent_turns=5),
                         summary=summary)  # fmt: skip
    assert cloud.included_turn_seqs == () and not cloud.summary_used
    assert cloud.withheld_turns == 2


def test_keep_local_turns_are_not_even_offered_to_the_retriever() -> None:
    history = [_turn(0, "secret", "s", "keep_local"), *_filler(4, start=1)]
    retriever = BySeq()
    pack_handoff(_request(), history, FakeEndpoint(kind="cloud"), system_prompt="",
                 reserve_output_tokens=0, plan=HandoffPlan(recent_turns=1),
                 retriever=retriever)  # fmt: skip
    assert retriever.seen == [[1, 2, 3]]


def test_a_local_model_gets_more_retrieved_turns_than_a_remote_one() -> None:
    plan = HandoffPlan(recent_turns=0, retrieved_turns=2, local_retrieved_turns=6)
    packs = {kind: pack_handoff(_request(), _filler(20), FakeEndpoint(kind=kind),  # type: ignore[arg-type]
                                system_prompt="", reserve_output_tokens=100, plan=plan,
                                retriever=BySeq())
             for kind in ("local", "cloud")}  # fmt: skip
    assert len(packs["local"].retrieved_turn_seqs) == 6
    assert len(packs["cloud"].retrieved_turn_seqs) == 2


def test_budget_rule_caps_remote_prompts_and_keeps_room_for_the_answer() -> None:
    plan = HandoffPlan(remote_prompt_tokens=1000, local_prompt_tokens=0)
    assert prompt_budget(FakeEndpoint(kind="cloud", context_window=200_000), 500, plan) == 1000
    assert prompt_budget(FakeEndpoint(kind="local", context_window=4096), 512, plan) == 3584
    # Never more than half the window is reserved for the answer.
    assert prompt_budget(FakeEndpoint(kind="local", context_window=1000), 900, plan) == 500
    assert (
        prompt_budget(FakeEndpoint(context_window=1000), 0, HandoffPlan(prompt_budget=5000)) == 1000
    )


def test_plan_follows_the_context_settings() -> None:
    plan = plan_from_settings(ContextSettings(recent_turns=5, local_retrieved_turns=30))
    assert plan.recent_turns == 5 and plan.local_retrieved_turns == 30


def test_bad_messages_are_refused() -> None:
    with pytest.raises(EmptyPromptError):
        pack_handoff(_request(" "), [], FakeEndpoint(), system_prompt="", reserve_output_tokens=0)
    with pytest.raises(PromptTooLongError):
        pack_handoff(_request("z" * 5000), [], FakeEndpoint(context_window=512), system_prompt="",
                     reserve_output_tokens=128)  # fmt: skip


class _Hit:
    def __init__(self, turn_id: str, score: float) -> None:
        self.turn_id, self.score = turn_id, score


class _Store:
    def __init__(self, hits: list[_Hit]) -> None:
        self.hits = hits
        self.calls: list[tuple[str, str | None, int]] = []

    def search(self, query: str, *, session_id: str | None = None, k: int = 8,
               exclude_turn_ids: Sequence[str] = ()) -> list[_Hit]:  # fmt: skip
        self.calls.append((query, session_id, k))
        return self.hits


def test_memory_hits_outside_the_candidates_are_ignored() -> None:
    store = _Store([_Hit("t9", 0.9), _Hit("private", 0.8), _Hit("t2", 0.7), _Hit("t2", 0.6)])
    ranked = MemoryStoreRetriever(store, "s", k=4).rank("q", _filler(5, start=1))
    assert [(s.turn.turn_id, s.score) for s in ranked] == [("t2", 0.7)]
    assert store.calls == [("q", "s", 4)]


class Rogue:
    """A broken retriever that returns every turn it knows, candidate or not."""

    def __init__(self, everything: list[HistoryTurn]) -> None:
        self.everything = everything

    def rank(self, query: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
        return [ScoredTurn(t, 1.0) for t in self.everything]


def test_a_broken_retriever_cannot_add_a_withheld_turn() -> None:
    history = [_turn(0, "SECRET-VALUE", "s", "keep_local"), *_filler(4, start=1)]
    out = pack_handoff(_request(), history, FakeEndpoint(kind="cloud"), system_prompt="",
                       reserve_output_tokens=0, plan=HandoffPlan(recent_turns=1),
                       retriever=Rogue(history))  # fmt: skip
    assert "SECRET-VALUE" not in "".join(m.content for m in out.packed.messages)
    assert out.included_turn_seqs == (1, 2, 3, 4)
