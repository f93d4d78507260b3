from pathlib import Path

import pytest

from router.context.retrieval import EmbeddingRetriever
from router.context.settings import ContextSettings
from router.context.stage import ContextStage
from router.endpoints.fake import FakeEndpoint
from router.ledger.store import Ledger
from router.ledger.summaries import SummaryStore
from router.privacy.detectors.registry import default_detectors
from router.privacy.scan import Scanner
from router.types import FindingAction, RouteDecision, Turn, TurnRequest


def _turns(actions: list[FindingAction]) -> list[Turn]:
    return [
        Turn(
            session_id="s",
            seq=i,
            user_text=f"question {i} ({a})",
            answer=f"answer {i}",
            status="complete",
            route=RouteDecision(endpoint="local", endpoint_kind="local", policy="p", reason="r",
                                privacy_action=a),
        )
        for i, a in enumerate(actions)
    ]  # fmt: skip


async def test_summary_written_after_turns_is_packed_locally_but_not_remotely(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path)  # the summaries share the ledger's file
    manager = ContextStage(
        ContextSettings(summary_every_n_turns=2, recent_turns=1), SummaryStore(path)
    )
    turns = _turns(["allow", "keep_local", "allow"])
    local = FakeEndpoint(lambda messages: "- the user asked three questions")
    summary = await manager.after_turn(
        "s", turns, local, Scanner(detectors=default_detectors(ner=False, topics=False))
    )
    assert summary is not None and summary.privacy_action == "keep_local"
    request = TurnRequest(text="and now?", session_id="s")
    on_device = manager.pack(request, turns, local, system_prompt="sys", reserve_output_tokens=64)
    assert on_device.summary_used and "three questions" in on_device.packed.messages[0].content
    assert 1 in on_device.included_turn_seqs
    cloud = FakeEndpoint(kind="cloud", context_window=100_000)
    remote = manager.pack(request, turns, cloud, system_prompt="sys", reserve_output_tokens=64)
    assert not remote.summary_used and remote.withheld_turns == 1
    text = "".join(m.content for m in remote.packed.messages)
    assert "keep_local" not in text and "three questions" not in text
    assert remote.included_turn_seqs == (0, 2)


async def test_summary_off_in_settings_means_no_model_call() -> None:
    manager = ContextStage(ContextSettings(summary=False, summary_every_n_turns=1))
    local = FakeEndpoint()
    assert await manager.after_turn("s", _turns(["allow"]), local, Scanner()) is None
    assert local.requests == []


def test_without_the_embedder_the_default_retriever_ranks_by_words_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from router.context.turns import HistoryTurn
    from router.types import Message

    monkeypatch.setattr("router.memory.embedding.missing_embedding_module", lambda: "onnxruntime")
    retriever = ContextStage().retriever("s")
    assert isinstance(retriever, EmbeddingRetriever) and not retriever.dense
    retriever._embedder = None  # would load MiniLM if anything were embedded
    monkeypatch.setattr("router.memory.embedding.shared_embedder", _no_embedding)
    turns = [
        HistoryTurn(seq=i, messages=(Message(role="user", content=text),))
        for i, text in enumerate(["apples are red", "the falcon flew north", "rain today"])
    ]
    ranked = retriever.rank("where did the falcon fly?", turns)
    assert ranked[0].turn.seq == 1


def _no_embedding() -> object:
    raise AssertionError("nothing may be embedded without the embedder")
