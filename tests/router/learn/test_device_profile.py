"""Profiling the device model on public questions: records, resuming, crashes, progress.

The device is a `FunctionScoringEndpoint` whose answers and log-probs are fixed
per question and seed, so correctness and confidence are known in advance.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from router.endpoints.base import ScoredAnswer
from router.endpoints.function import EndpointCall, FunctionScoringEndpoint
from router.errors import EndpointError, PromptTooLongError
from router.learn.datasets import STRONG, WEAK
from router.learn.device_profile import LOCAL, DeviceRun, RunSummary, profile_device
from router.learn.graded import GradedQuestion, load_graded
from router.learn.profile import load_profile
from router.policy.confidence import confidence
from router.types import Usage
from tests.support.routellm_data import write_routellm

# question start -> the answer of each seed (0, 1)
REPLIES = {
    "What is 2 + 2?": ("B", "B"),  # right, samples agree
    "Which is a colour?": ("B", "A"),  # wrong, samples disagree
    "Tom has 3 apples": ("3 + 4 = 7. The answer is 7.", "The answer is 7."),
    "A box holds": ("The answer is 1200.", "The answer is 1000."),
}


def _scored(call: EndpointCall) -> ScoredAnswer:
    prompt = call.question
    if prompt.startswith("Boom"):
        raise EndpointError("the local model crashed", "ask again")
    if prompt.startswith("Long"):
        raise PromptTooLongError("the prompt is too long", "raise n_ctx")
    seed = call.options.seed or 0
    text = next(v for k, v in REPLIES.items() if prompt.startswith(k))[seed]
    n = len(text.split())
    usage = Usage(input_tokens=40, output_tokens=n, ttft_s=0.1, latency_s=0.5 + seed)
    return ScoredAnswer(text, (-0.1 - seed,) * n, (0.4,) * n, usage)


def _device() -> FunctionScoringEndpoint:
    return FunctionScoringEndpoint(lambda _c: "", _scored, name="local", kind="local")


@pytest.fixture
def questions(tmp_path: Path) -> list[GradedQuestion]:
    data, key = write_routellm(tmp_path / "data")
    return load_graded(data, "mmlu", key) + load_graded(data, "gsm8k")


def _run(
    device: FunctionScoringEndpoint, questions: list[GradedQuestion], out: Path
) -> tuple[RunSummary, list[str]]:
    lines: list[str] = []
    summary = asyncio.run(profile_device(device, questions, out, DeviceRun("m.gguf"), lines.append))
    return summary, lines


def test_records_hold_correctness_tokens_latency_confidence_and_the_tiers(
    questions: list[GradedQuestion], tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    summary, _ = _run(_device(), questions, out)
    by_id = {r.id: r for r in load_profile(out)}
    assert summary.asked == 4 and summary.correct == 2
    assert {i: r.endpoints[LOCAL].quality for i, r in by_id.items()} == {
        "mmlu-tiny-0": 1.0, "mmlu-tiny-1": 0.0, "gsm8k-0": 1.0, "gsm8k-1": 0.0,
    }  # fmt: skip
    colour = by_id["mmlu-tiny-1"]
    assert colour.endpoints[LOCAL].latency_s == 0.5 and colour.endpoints[LOCAL].cost_usd == 0.0
    assert colour.endpoints[WEAK].quality == 0.0 and colour.endpoints[STRONG].quality == 1.0
    meta = colour.meta
    assert (meta["answer"], meta["reference"], meta["model"]) == ("B", "A", "m.gguf")
    assert (meta["input_tokens"], meta["output_tokens"]) == (40, 1)
    assert meta["answer_agreement"] == 0.5 and meta["cascade_latency_s"] == 2.0
    expected = confidence([_scored(c) for c in _device_calls(colour.prompt)])
    assert meta["confidence"]["score"] == expected.score
    assert meta["confidence"]["agreement"] == expected.agreement
    assert [s["correct"] for s in meta["samples"]] == [False, True]
    assert meta["samples"][1]["token_logprobs"] == [-1.1]


def _device_calls(prompt: str) -> list[EndpointCall]:
    from router.learn.device_profile import DeviceRun, ask_device

    device = _device()
    question = GradedQuestion("x", "mmlu", prompt, "A", {})
    asyncio.run(ask_device(device, question, DeviceRun("m")))
    return device.scored


def test_the_device_gets_the_instruction_then_the_question_at_the_chats_temperature(
    questions: list[GradedQuestion], tmp_path: Path
) -> None:
    device = _device()
    _run(device, questions[:1], tmp_path / "p.jsonl")
    first, second = device.scored
    assert [m.role for m in first.messages] == ["system", "user"]
    assert "letter" in first.messages[0].content and first.question == questions[0].prompt
    assert (first.options.seed, second.options.seed) == (0, 1)
    assert first.options.temperature == 0.7 and first.options.max_tokens == 16


def test_a_rerun_asks_only_what_is_not_in_the_file(
    questions: list[GradedQuestion], tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    _run(_device(), questions[:2], out)
    device = _device()
    summary, lines = _run(device, questions, out)
    asked = {c.question for c in device.scored}
    assert asked == {q.prompt for q in questions[2:]}
    assert summary.already == 2 and summary.asked == 2
    assert lines[0] == f"2 of 4 questions already in {out}; 2 to ask"
    assert len(load_profile(out)) == 4


def test_a_crash_loses_only_the_question_in_flight(
    questions: list[GradedQuestion], tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    boom = GradedQuestion("boom", "gsm8k", "Boom?", "1", {})
    with pytest.raises(EndpointError):
        _run(_device(), [*questions[:2], boom, *questions[2:]], out)
    assert [r.id for r in load_profile(out)] == [q.id for q in questions[:2]]
    _run(_device(), questions, out)
    assert [r.id for r in load_profile(out)] == [q.id for q in questions]


def test_a_truncated_last_line_is_asked_again(
    questions: list[GradedQuestion], tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    _run(_device(), questions[:2], out)
    out.write_bytes(out.read_bytes()[:-30])  # the second record cut mid-write
    device = _device()
    _, lines = _run(device, questions[:2], out)
    assert "dropped a partial last line" in lines[0]
    assert {c.question for c in device.scored} == {questions[1].prompt}
    assert [r.id for r in load_profile(out)] == [q.id for q in questions[:2]]


def test_progress_lines_count_up_with_an_eta(
    questions: list[GradedQuestion], tmp_path: Path
) -> None:
    _, lines = _run(_device(), questions, tmp_path / "p.jsonl")
    steps = lines[1:]
    assert [s.split("]")[0] for s in steps] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert steps[0].startswith("[1/4] mmlu-tiny-0: right, confidence ")
    assert all(" s/question, ETA " in s for s in steps)
    assert steps[-1].endswith("ETA 0s")


def test_a_prompt_longer_than_the_context_is_skipped_and_named(
    questions: list[GradedQuestion], tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    long = GradedQuestion("long", "mmlu", "Long question", "A", {})
    summary, lines = _run(_device(), [long, *questions[:1]], out)
    assert summary.skipped == ["long"] and summary.asked == 1
    assert "long: skipped" in lines[1]
    assert [r.id for r in load_profile(out)] == [questions[0].id]
