import json
from pathlib import Path

from router.learn.cross_report import (
    BEFORE,
    CONFIGS,
    format_cross,
    load_benchmarks,
    mt_bench_categories,
)
from router.learn.embed_cache import EmbeddingCache
from tests.support.routellm_data import write_routellm


def test_training_prompts_carry_their_topic_and_contaminated_ones_are_dropped(
    tmp_path: Path,
) -> None:
    root, _ = write_routellm(tmp_path)
    data, topics = load_benchmarks(root, ("gsm8k", "mmlu"), EmbeddingCache(cache_dir=tmp_path))
    assert topics == ["gsm8k", "gsm8k", "mmlu-tiny", "mmlu-tiny", "mmlu-tiny"]
    assert "Contaminated question?" not in data.prompts
    assert data.embeddings.shape == (5, 384)


def test_mt_bench_prompts_get_their_category(tmp_path: Path) -> None:
    questions = [
        {"question_id": 81, "category": "writing", "turns": ["Write a poem.", "Shorter."]},
        {"question_id": 82, "category": "math", "turns": ["What is 2+2? ", "And 3+3?"]},
    ]
    (tmp_path / "mt_bench_questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions))
    assert mt_bench_categories(tmp_path, ["What is 2+2?", "Write a poem."]) == ["math", "writing"]


def _result() -> dict[str, object]:
    names = [f"{t}/{k}" for t, k in CONFIGS]
    mt = {
        n: {"apgr": 0.4, "apgr_low": 0.3, "apgr_high": 0.5, "cpt50": 0.5, "cpt80": 0.9,
            "strong_share_at_threshold": 0.4, "category_order": ["math", "writing"]}
        for n in names
    }  # fmt: skip
    mt["weak_failure/logistic"]["apgr"] = 0.713
    mt["difference"] = {"after": "weak_failure/logistic", "before": "/".join(BEFORE),
                        "value": 0.3, "low": 0.1, "high": 0.5}  # fmt: skip
    mt["random"] = {"apgr": 0.534, "cpt50": 0.45, "cpt80": 0.76}
    mt["category_gap"] = {"math": 0.2, "writing": 0.007}
    return {
        "n_train": 10, "n_topics": 5, "n_mt_bench": 2, "selected": "weak_failure/logistic",
        "label_audit": {"mmlu-high_school_mathematics": (0.03, 0.319, 270)},
        "held_out_topics": {n: {"weak_failures_first": 0.6, "recorded_gap": 0.55} for n in names},
        "in_domain": {"gap/mlp": {"pooled": 0.675, "gsm8k": 0.6, "mmlu": 0.67,
                                  "weak_failures_first": 0.55}},
        "mt_bench": mt,
    }  # fmt: skip


def test_table_marks_the_selected_and_former_routers_and_prints_the_interval() -> None:
    table = format_cross(_result())
    assert "weak_failure/logistic *" in table and "gap/mlp b" in table
    assert "0.713 [0.300, 0.500]" in table
    assert "mmlu-high_school_mathematics 0.030 < 0.319 (n=270)" in table
    assert "minus gap/mlp: +0.300 [+0.100, +0.500]" in table
    assert "math +0.200, writing +0.007" in table
