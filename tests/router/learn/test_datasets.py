import json
from pathlib import Path

import pytest

from router.learn.datasets import STRONG, WEAK, load_routellm
from tests.support.missing import missing

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "routellm"


def _mt_bench(root: Path) -> Path:
    questions = [
        {"question_id": 81, "category": "writing", "turns": ["Write a poem.", "Shorter."]},
        {"question_id": 82, "category": "math", "turns": ["What is 2+2?", "And 3+3?"]},
    ]
    (root / "mt_bench_questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions))
    judgements = []
    for qid, weak, strong in ((81, (10, 8), (10, 10)), (82, (1, 4), (10, 10))):
        for turn in (0, 1):
            judgements.append(
                {"question_id": qid, "model": "gpt-4-1106-preview", "score": strong[turn],
                 "turn": turn + 1}
            )  # fmt: skip
            judgements.append(
                {"question_id": qid, "model": "mistralai/Mixtral-8x7B-Instruct-v0.1",
                 "score": weak[turn], "turn": turn + 1}
            )  # fmt: skip
    (root / "mt_bench_judgements.jsonl").write_text("\n".join(json.dumps(j) for j in judgements))
    (root / "mt_bench_contaminated_prompts.jsonl").write_text(
        json.dumps({"train_prompt": "x", "eval_prompt": "What is 2+2? "}) + "\n"
    )
    return root


def test_mt_bench_scores_are_mapped_to_unit_quality(tmp_path: Path) -> None:
    records = load_routellm(_mt_bench(tmp_path), "mt_bench", drop_contaminated=False)
    by_id = {r.id: r for r in records}
    assert by_id["mt_bench-81"].prompt == "Write a poem."
    # mean of (10-1)/9 and (8-1)/9
    assert by_id["mt_bench-81"].endpoints[WEAK].quality == pytest.approx((1.0 + 7 / 9) / 2)
    assert by_id["mt_bench-82"].endpoints[STRONG].quality == pytest.approx(1.0)
    assert by_id["mt_bench-82"].endpoints[WEAK].quality == pytest.approx((0.0 + 3 / 9) / 2)


def test_contaminated_prompts_are_dropped(tmp_path: Path) -> None:
    records = load_routellm(_mt_bench(tmp_path), "mt_bench")
    assert [r.id for r in records] == ["mt_bench-81"]


def test_unknown_benchmark(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown benchmark"):
        load_routellm(tmp_path, "hellaswag")


@pytest.mark.parametrize(
    ("bench", "n_all", "weak", "strong"),
    [("gsm8k", 1319, 0.638, 0.857), ("mmlu", 14042, 0.681, 0.806), ("mt_bench", 80, None, None)],
)
def test_public_files_match_their_readme(
    bench: str, n_all: int, weak: float | None, strong: float | None
) -> None:
    if not SHARED.exists():
        missing("../shared/data/routellm is not present")
    records = load_routellm(SHARED, bench, drop_contaminated=False)
    assert len(records) == n_all
    if weak is not None and strong is not None:
        mean = lambda name: sum(r.endpoints[name].quality for r in records) / len(records)  # noqa: E731
        assert mean(WEAK) == pytest.approx(weak, abs=0.001)
        assert mean(STRONG) == pytest.approx(strong, abs=0.001)
    assert len(load_routellm(SHARED, bench)) < n_all  # contaminated prompts are dropped
