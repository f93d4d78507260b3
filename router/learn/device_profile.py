"""Profiling the device's own model on public questions (`tandem router profile-device`).

Each question (`router.learn.graded`) is answered the way a `cascade` turn
answers on the device (router/turn/cascade.py): `samples` non-streamed answers
with per-token log-probabilities (`ScoringEndpoint.answer_scored`), seeds 0, 1,
..., at the chat's default temperature, scored by
`router.policy.confidence.confidence`. The first sample is the answer shown; it
alone decides the device's correctness. A short instruction per benchmark goes
in the system message (so the answer can be read off); the record's `prompt`
is the question alone, as a router sees it.

One profile record per question (format: router/learn/profile.py):

- `endpoints.local`: quality 1.0 or 0.0 (the first sample right or not),
  `latency_s` of the first sample, `cost_usd` 0;
- `endpoints["gpt-4"]`, `endpoints["mixtral"]`: the stand-ins for the cloud and
  the edge tiers, from RouteLLM's files (costs are list-price estimates);
- `meta`: the benchmark, reference and the answer read, the model file, the
  temperature and token cap (an answer that reached the cap was cut short),
  prompt/completion tokens and time to first token of the first sample, the
  cascade's `confidence` (score, mean log-prob, mean entropy, word agreement),
  `answer_agreement` (share of samples giving the first sample's answer),
  `cascade_latency_s` (all samples), and each sample's text, answer,
  correctness, tokens, latency and per-token log-probs and entropies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from router.endpoints.base import ScoredAnswer
from router.errors import LocalModelCrashedError, PromptTooLongError
from router.learn.graded import GradedQuestion, grade
from router.learn.profile import Outcome, ProfileRecord
from router.learn.profile_log import Progress, append_record, resume
from router.policy.cascade import ScoringEndpoint
from router.policy.confidence import confidence
from router.types import GenerationOptions, Message

LOCAL = "local"
"""The device model's endpoint name in the profile (the chat's default local endpoint)."""
INSTRUCTIONS = {
    "mmlu": "Answer the multiple-choice question with the letter (A, B, C or D) "
    "of the correct option.",
    "gsm8k": "Solve the math problem step by step, then end with 'The answer is N.' "
    "where N is the final number.",
}
MAX_TOKENS = {"mmlu": 16, "gsm8k": 256}
"""Priors: room for "The answer is (B)" on MMLU and for a worked solution on GSM8K."""
TEMPERATURE = 0.7
"""The chat's default `[generation] temperature`: samples must differ for agreement to mean much."""


@dataclass(frozen=True)
class DeviceRun:
    """How the device model is asked: the model's name for the record, samples, sampling."""

    model: str
    samples: int = 2
    temperature: float = TEMPERATURE
    max_tokens: Mapping[str, int] = field(default_factory=lambda: dict(MAX_TOKENS))


@dataclass
class RunSummary:
    """What one run did: questions answered, skipped and right."""

    asked: int = 0
    correct: int = 0
    skipped: list[str] = field(default_factory=list)
    """Too long for the context window."""
    crashed: list[str] = field(default_factory=list)
    """The local model crashed on them (its worker restarts); a re-run asks them again."""
    already: int = 0


def messages_for(question: GradedQuestion) -> list[Message]:
    """The chat the device model gets: the benchmark's instruction, then the question."""
    return [
        Message(role="system", content=INSTRUCTIONS[question.benchmark]),
        Message(role="user", content=question.prompt),
    ]


def _finite(value: float | None) -> float | None:
    """JSON has no infinities: an empty answer's mean log-prob is recorded as null."""
    return None if value is None or not math.isfinite(value) else round(value, 4)


def _sample_meta(answer: ScoredAnswer, read: str | None, right: bool) -> dict[str, Any]:
    return {
        "text": answer.text,
        "answer": read,
        "correct": right,
        "output_tokens": answer.usage.output_tokens,
        "latency_s": round(answer.usage.latency_s, 3),
        "token_logprobs": [round(x, 3) for x in answer.token_logprobs],
        "token_entropies": [round(x, 3) for x in answer.token_entropies],
    }


def device_record(
    question: GradedQuestion, answers: Sequence[ScoredAnswer], run: DeviceRun
) -> ProfileRecord:
    """The profile record of one question from the device's samples (module docstring)."""
    graded = [grade(question.benchmark, a.text, question.reference) for a in answers]
    first, (read, right) = answers[0], graded[0]
    conf = confidence(answers)
    meta: dict[str, Any] = {
        "benchmark": question.benchmark,
        "reference": question.reference,
        "answer": read,
        "model": run.model,
        "temperature": run.temperature,
        "max_tokens": run.max_tokens[question.benchmark],
        "input_tokens": first.usage.input_tokens,
        "output_tokens": first.usage.output_tokens,
        "ttft_s": _finite(first.usage.ttft_s),
        "confidence": {
            "score": conf.score,
            "mean_logprob": _finite(conf.mean_logprob),
            "mean_entropy": _finite(conf.mean_entropy),
            "agreement": _finite(conf.agreement),
        },
        "answer_agreement": sum(g[0] == read for g in graded) / len(graded),
        "cascade_latency_s": round(sum(a.usage.latency_s for a in answers), 3),
        "samples": [_sample_meta(a, g[0], g[1]) for a, g in zip(answers, graded, strict=True)],
        "stand_ins": {"gpt-4": "cloud", "mixtral": "edge"},
    }
    local = Outcome(quality=1.0 if right else 0.0, latency_s=first.usage.latency_s)
    return ProfileRecord(
        id=question.id,
        prompt=question.prompt,
        endpoints={LOCAL: local, **question.tiers},
        meta=meta,
    )


async def ask_device(
    endpoint: ScoringEndpoint, question: GradedQuestion, run: DeviceRun
) -> list[ScoredAnswer]:
    """The device's `run.samples` scored answers to one question (seeds 0, 1, ...)."""
    messages = messages_for(question)
    answers = []
    for seed in range(max(1, run.samples)):
        options = GenerationOptions(
            max_tokens=run.max_tokens[question.benchmark],
            temperature=run.temperature,
            seed=seed,
        )
        answers.append(await endpoint.answer_scored(messages, options))
    return answers


async def profile_device(
    endpoint: ScoringEndpoint,
    questions: Sequence[GradedQuestion],
    out: Path,
    run: DeviceRun,
    log: Callable[[str], None],
) -> RunSummary:
    """Answer every question not yet in `out`, appending one record per question.

    Resumable (router/learn/profile_log.py); `log` gets a progress line with an
    ETA after each question. A prompt too long for the model's context, or one
    the local model crashed on, is skipped and named (a re-run tries it again).
    """
    resumed = resume(out)
    if resumed.dropped_partial:
        log(f"dropped a partial last line in {out} (a run stopped mid-write); it is asked again")
    todo = [q for q in questions if q.id not in resumed.done]
    summary = RunSummary(already=len(questions) - len(todo))
    log(f"{summary.already} of {len(questions)} questions already in {out}; {len(todo)} to ask")
    progress = Progress(total=len(questions), already=summary.already)
    with out.open("a", encoding="utf-8") as handle:
        for question in todo:
            try:
                answers = await ask_device(endpoint, question, run)
            except PromptTooLongError:
                summary.skipped.append(question.id)
                log(progress.step(f"{question.id}: skipped, longer than the context window"))
                continue
            except LocalModelCrashedError as exc:
                # An hours-long run goes on: the worker restarts (with safe CPU settings
                # where it can), and a re-run asks the lost question again.
                summary.crashed.append(question.id)
                log(progress.step(f"{question.id}: lost, {exc.message}; a re-run asks it again"))
                continue
            record = device_record(question, answers, run)
            append_record(handle, record)
            right = record.endpoints[LOCAL].quality == 1.0
            summary.asked += 1
            summary.correct += right
            score = record.meta["confidence"]["score"]
            verdict = "right" if right else "wrong"
            log(progress.step(f"{question.id}: {verdict}, confidence {score:.2f}"))
    return summary
