"""Loaders for the public routing data: RouteLLM's evals and TMO's M4A1.

RouteLLM (`routellm/`): per-prompt outcomes of a weak model (Mixtral-8x7B-Instruct)
and a strong one (GPT-4-1106-preview) on GSM8K, MMLU and MT-Bench. They become
profile records with endpoints `WEAK` and `STRONG`: quality is correctness (0/1)
or the GPT-4 judge score mapped to [0, 1]. The files carry no latency or price,
so `cost_usd` is an estimate from prompt length at list prices (GPT-4-1106
$10/$30 per million input/output tokens, Mixtral $0.6/$0.6), with an assumed
answer length; `meta.cost_estimated` says so.

M4A1 (`m4a1/M4A1.json`): conversations whose turns record the action taken,
the uploaded views, score, time and cost; see `router.learn.m4a1`.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from router.learn.profile import Outcome, ProfileRecord

STRONG = "gpt-4"
WEAK = "mixtral"
_STRONG_COL = "gpt-4-1106-preview"
_WEAK_COL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
BENCHMARKS = ("gsm8k", "mmlu", "mt_bench")
_ANSWER_TOKENS = {"gsm8k": 200, "mmlu": 5, "mt_bench": 400}


def _cost(prompt: str, benchmark: str, strong: bool) -> float:
    """List-price estimate of one answer (4 characters per token)."""
    tokens_in, tokens_out = len(prompt) / 4.0, _ANSWER_TOKENS[benchmark]
    if strong:
        return (tokens_in * 10.0 + tokens_out * 30.0) / 1e6
    return (tokens_in + tokens_out) * 0.6 / 1e6


def _record(rid: str, prompt: str, benchmark: str, weak: float, strong: float) -> ProfileRecord:
    return ProfileRecord(
        id=rid,
        prompt=prompt,
        endpoints={
            WEAK: Outcome(quality=weak, cost_usd=_cost(prompt, benchmark, strong=False)),
            STRONG: Outcome(quality=strong, cost_usd=_cost(prompt, benchmark, strong=True)),
        },
        meta={"benchmark": benchmark, "cost_estimated": True},
    )


def _truth(value: str) -> float:
    return 1.0 if value.strip().lower() == "true" else 0.0


def load_gsm8k(root: Path) -> list[ProfileRecord]:
    """GSM8K: 1,319 prompts, correctness of each model."""
    csv.field_size_limit(sys.maxsize)  # responses hold long multi-line fields
    with (root / "gsm8k_responses.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        _record(f"gsm8k-{i}", r["prompt"], "gsm8k", _truth(r[_WEAK_COL]), _truth(r[_STRONG_COL]))
        for i, r in enumerate(rows)
    ]


def load_mmlu(root: Path) -> list[ProfileRecord]:
    """MMLU: the 57 subject files in name order, correctness of each model."""
    records: list[ProfileRecord] = []
    for file in sorted((root / "mmlu").glob("*.csv")):
        subject = file.stem.removeprefix("mmlu_")
        with file.open(encoding="utf-8", newline="") as handle:
            for i, r in enumerate(csv.DictReader(handle)):
                rec = _record(
                    f"mmlu-{subject}-{i}",
                    r["prompt"],
                    "mmlu",
                    _truth(r[_WEAK_COL]),
                    _truth(r[_STRONG_COL]),
                )
                records.append(rec)
    return records


def load_mt_bench(root: Path) -> list[ProfileRecord]:
    """MT-Bench: one record per question, routed on its first turn.

    Quality is the mean of the two turns' judge scores, (score - 1) / 9, as
    RouteLLM routes a whole MT-Bench conversation to one model.
    """
    questions: dict[int, list[str]] = {}
    for line in (root / "mt_bench_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            questions[int(q["question_id"])] = [str(t) for t in q["turns"]]
    scores: dict[tuple[int, str], list[float]] = {}
    for line in (root / "mt_bench_judgements.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            j = json.loads(line)
            model = STRONG if j["model"] == _STRONG_COL else WEAK
            value = min(max((float(j["score"]) - 1.0) / 9.0, 0.0), 1.0)
            scores.setdefault((int(j["question_id"]), model), []).append(value)
    records = []
    for qid, turns in sorted(questions.items()):
        weak, strong = scores.get((qid, WEAK)), scores.get((qid, STRONG))
        if not weak or not strong:
            continue
        mean_weak, mean_strong = sum(weak) / len(weak), sum(strong) / len(strong)
        records.append(_record(f"mt_bench-{qid}", turns[0], "mt_bench", mean_weak, mean_strong))
    return records


def contaminated_prompts(root: Path, benchmark: str) -> set[str]:
    """Prompts RouteLLM excludes from evaluation (whitespace-stripped)."""
    file = root / f"{benchmark}_contaminated_prompts.jsonl"
    if not file.exists():
        return set()
    lines = file.read_text(encoding="utf-8").splitlines()
    return {str(json.loads(line)["eval_prompt"]).strip() for line in lines if line.strip()}


def load_routellm(
    root: str | Path, benchmark: str, drop_contaminated: bool = True
) -> list[ProfileRecord]:
    """One RouteLLM benchmark as profile records, optionally without contaminated prompts."""
    base = Path(root)
    loaders = {"gsm8k": load_gsm8k, "mmlu": load_mmlu, "mt_bench": load_mt_bench}
    if benchmark not in loaders:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {BENCHMARKS}")
    records = loaders[benchmark](base)
    if drop_contaminated:
        bad = contaminated_prompts(base, benchmark)
        records = [r for r in records if r.prompt.strip() not in bad]
    return records
