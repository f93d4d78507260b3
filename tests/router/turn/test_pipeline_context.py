"""The pipeline with the context stage: handoff packing, summaries and after-turn hooks."""

from pathlib import Path

from router.context.settings import ContextSettings
from router.context.stage import ContextStage
from router.endpoints.fake import FakeEndpoint
from router.ledger.summaries import SessionSummary, SummaryStore
from router.policy.decide import LocalOnlyPolicy, PreferRemotePolicy
from router.turn.pipeline import TurnPipeline
from router.types import GenerationOptions, Turn
from tests.support.pipeline import collect, make_pipeline

FILLER = [
    "Tell me about the weather patterns of coastal towns in autumn.",
    "How do I repot a ficus without hurting its roots?",
    "What is a good warm-up routine before running?",
    "Explain how a bicycle derailleur shifts gears.",
    "Suggest a name for a grey kitten.",
    "How long should I steep green tea?",
]


def _pipeline(
    tmp_path: Path, endpoints: dict[str, FakeEndpoint], **settings: object
) -> TurnPipeline:
    context = ContextStage(
        ContextSettings(**settings),  # type: ignore[arg-type]
        SummaryStore(tmp_path / "ledger.db"),
    )
    remote = any(e.kind == "cloud" for e in endpoints.values())
    return make_pipeline(
        tmp_path,
        endpoints=endpoints,
        policy=PreferRemotePolicy() if remote else LocalOnlyPolicy(),
        generation=GenerationOptions(max_tokens=32),
        system_prompt="be brief",
        context=context,
    )


async def _turn(pipeline: TurnPipeline, text: str) -> None:
    """A turn, then its background work (summary refresh, hooks) to the end."""
    await collect(pipeline, text)
    await pipeline.drain()


async def test_an_early_turn_is_retrieved_while_the_middle_ones_are_left_out(
    tmp_path: Path,
) -> None:
    local = FakeEndpoint(name="local")
    pipeline = _pipeline(
        tmp_path, {"local": local}, recent_turns=1, local_retrieved_turns=1, summary=False
    )
    await _turn(pipeline, "My locker combination at the gym is the word 'pelican'.")
    for text in FILLER:
        await _turn(pipeline, text)
    await _turn(pipeline, "What was my gym locker combination?")
    sent = "\n".join(m.content for m in local.requests[-1])
    assert "pelican" in sent  # retrieved by relevance
    assert FILLER[-1] in sent  # the most recent turn, verbatim
    assert FILLER[1] not in sent  # an irrelevant middle turn stayed out


async def test_the_summary_is_refreshed_after_turns_and_packed_as_the_stable_prefix(
    tmp_path: Path,
) -> None:
    local = FakeEndpoint(name="local")
    pipeline = _pipeline(tmp_path, {"local": local}, summary_every_n_turns=2)
    for text in FILLER[:2]:
        await _turn(pipeline, text)
    assert pipeline.context is not None
    summary = pipeline.context.summaries.get("s1")
    assert summary is not None and summary.covers_up_to_seq >= 1
    await _turn(pipeline, "and one more thing")
    system = local.requests[-1][0]
    assert system.role == "system" and summary.text in system.content


async def test_a_keep_local_summary_keeps_later_turns_on_the_device(tmp_path: Path) -> None:
    local = FakeEndpoint(name="local")
    cloud = FakeEndpoint(name="cloud", kind="cloud")
    pipeline = _pipeline(tmp_path, {"local": local, "cloud": cloud}, summary_every_n_turns=50)
    assert pipeline.context is not None
    # A summary naming a card number, as if condensed from turns since forgotten.
    pipeline.context.summaries.put(
        SessionSummary(
            session_id="s1", covers_up_to_seq=0, text="User's card is 4111 1111 1111 1111."
        )
    )
    await _turn(pipeline, "What is the capital of France?")
    assert cloud.requests == []
    assert all("4111" not in m.content for r in cloud.requests for m in r)
    assert local.requests and "4111 1111 1111 1111" in local.requests[-1][0].content


async def test_after_turn_hooks_get_each_completed_turn(tmp_path: Path) -> None:
    seen: list[Turn] = []

    async def hook(turn: Turn) -> None:
        seen.append(turn)

    async def broken(turn: Turn) -> None:
        raise RuntimeError("index is down")

    pipeline = _pipeline(tmp_path, {"local": FakeEndpoint(name="local")}, summary=False)
    pipeline.after_turn_hooks.extend([broken, hook])
    await _turn(pipeline, "hello")
    await _turn(pipeline, "again")
    assert [t.user_text for t in seen] == ["hello", "again"]
    assert [t.status for t in pipeline.ledger.turns("s1")] == ["complete", "complete"]
