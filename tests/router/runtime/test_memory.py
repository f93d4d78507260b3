"""The running app's memory: every completed turn is indexed, and retrieval reads it."""

from collections.abc import Sequence
from pathlib import Path

from router.context.retrieval import HybridMemoryRetriever
from router.context.turns import HistoryTurn
from router.endpoints.fake import FakeEndpoint
from router.errors import TandemError
from router.memory.store import open_memory
from router.paths import TandemPaths
from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.runtime.compose import build_runtime
from router.runtime.memory import ScannerScreen
from router.settings.config import load_settings
from router.types import Message, TurnRequest
from tests.router.privacy.test_scan import fake_detect
from tests.support.zones import FALCON


async def test_completed_turns_are_indexed_and_searchable_after_a_restart(
    tandem_home: TandemPaths,
) -> None:
    settings = load_settings(tandem_home)
    runtime = build_runtime(
        tandem_home, settings, endpoints={"local": FakeEndpoint(name="local", kind="local")}
    )
    for text in ("My sister's wedding is in Lisbon in June.", "Suggest a name for a kitten."):
        async for _ in runtime.pipeline.run_turn(TurnRequest(text=text, session_id="s1")):
            pass
    await runtime.aclose()  # waits for the background indexing

    with open_memory(tandem_home, settings.memory) as store:
        assert store.count() == 2
        [hit, *_] = store.search("where is the wedding?", session_id="s1")
    assert "Lisbon" in hit.user_text and hit.seq == 0


def _turn(seq: int, text: str, turn_id: str) -> HistoryTurn:
    return HistoryTurn(seq=seq, messages=(Message(role="user", content=text),), turn_id=turn_id)


class _Hits:
    def __init__(self, scores: dict[str, float] | None) -> None:
        self.scores = scores

    def search(
        self,
        query: str,
        *,
        session_id: str | None = None,
        k: int = 5,
        exclude_turn_ids: Sequence[str] = (),
    ) -> list[object]:
        if self.scores is None:
            raise TandemError("the memory is locked by process 42", "wait, then try again")
        return [_Hit(t, s) for t, s in self.scores.items()]


class _Hit:
    def __init__(self, turn_id: str, score: float) -> None:
        self.turn_id, self.score = turn_id, score


def test_the_index_supplies_the_dense_half_of_the_ranking() -> None:
    turns = [_turn(0, "alpha", "a"), _turn(5, "beta", "b"), _turn(9, "gamma", "c")]
    store = _Hits({"c": 0.9, "a": 0.1})
    ranked = HybridMemoryRetriever(store, "s1", lexical_weight=0, neighbour_weight=0).rank(  # type: ignore[arg-type]
        "unrelated words", turns
    )
    assert [r.turn.turn_id for r in ranked] == ["c", "a", "b"]


def test_a_failing_index_falls_back_to_embedding_here(tmp_path: Path) -> None:
    turns = [_turn(0, "the wedding is in Lisbon", "a"), _turn(3, "kitten names", "b")]
    retriever = HybridMemoryRetriever(_Hits(None), "s1", lexical_weight=0, neighbour_weight=0)  # type: ignore[arg-type]
    ranked = retriever.rank("where is the wedding?", turns)
    assert ranked[0].turn.turn_id == "a" and ranked[0].score > 0


def test_the_rules_decide_what_of_a_search_query_may_reach_a_memory_server() -> None:
    screen = ScannerScreen(lambda: Scanner(detectors=[FunctionDetector(fake_detect)]))
    assert screen.shareable("card 4111 1111 1111 1111, is it valid?") is None  # keep-local
    assert screen.shareable("mail bob@example.com the notes") == "mail [EMAIL_ADDRESS_1] the notes"
    assert screen.shareable("how do I bake bread?") == "how do I bake bread?"


def test_a_query_a_rule_keeps_on_my_devices_never_reaches_a_memory_server() -> None:
    # A memory server (Chroma, perhaps hosted) is never one of the user's devices.
    rules = build_rules([FALCON])
    screen = ScannerScreen(lambda: Scanner(rules=rules, detectors=[FunctionDetector(fake_detect)]))
    assert screen.shareable("what did we decide on project Falcon?") is None


async def test_the_running_apps_memory_screens_queries_with_the_pipelines_rules(
    tandem_home: TandemPaths,
) -> None:
    runtime = build_runtime(
        tandem_home, endpoints={"local": FakeEndpoint(name="local", kind="local")}
    )
    assert runtime.memory is not None and runtime.memory.screen is not None
    runtime.pipeline.scanner = Scanner(detectors=[FunctionDetector(fake_detect)])
    # The pipeline's scanner of the moment (rules edited live), not the one at start-up.
    assert runtime.memory.screen.shareable("card 4111 1111 1111 1111") is None
    await runtime.aclose()
