"""Profiling the user's own endpoints on the user's own prompts (`tandem router profile`).

The prompts file is JSON Lines, one object per prompt::

    {"id": "q1", "prompt": "What is 17 * 23?", "reference": "391"}

`id` is optional (the line number is used), `reference` is needed by the
`exact` judge. Every endpoint answers every prompt; the judge turns each
answer into a quality in [0, 1]:

- `exact`: 1 when the normalised answer equals the normalised reference, or
  when the reference is a number and equals the last number in the answer;
  else 0.
- a judge endpoint: asked to rate the answer from 1 to 10 (with the reference
  when there is one); quality = (rating - 1) / 9, 0 when no rating is found.

Latency and cost come from each answer's `Usage`.

Privacy: every request to an off-device endpoint (answers and ratings) takes
the chat's privacy path (`ProfileEgress`): scanned with the user's rules, never
sent when a rule keeps it local (the prompt is profiled on the device only),
redacted when a rule says so, guarded at the egress transport, and recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from router.endpoints.base import Endpoint
from router.learn.profile import Outcome, ProfileError, ProfileRecord
from router.learn.profile_egress import NotSent, ProfileEgress
from router.types import GenerationOptions

Judge = Callable[["PromptItem", str], Awaitable[float]]
"""Grades an answer to a prompt item in [0, 1]."""
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class PromptItem:
    """One prompt to profile, with its reference answer if known."""

    id: str
    prompt: str
    reference: str | None = None


def load_prompts(path: str | Path) -> list[PromptItem]:
    """Read a prompts JSONL file; `ProfileError` names the line of a bad entry."""
    file = Path(path)
    hint = 'each line: {"id": "...", "prompt": "...", "reference": "..."} (id, reference optional)'
    items: list[PromptItem] = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read prompts {file}: {exc}", hint) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or not isinstance(data.get("prompt"), str):
                raise ValueError("needs a string 'prompt'")
            ref = data.get("reference")
            items.append(
                PromptItem(
                    id=str(data.get("id", f"line-{number}")),
                    prompt=data["prompt"],
                    reference=None if ref is None else str(ref),
                )
            )
        except (json.JSONDecodeError, ValueError) as exc:
            raise ProfileError(f"{file}, line {number}: {exc}", hint) from exc
    if not items:
        raise ProfileError(f"prompts file {file} is empty", hint)
    return items


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9.\-]+", " ", text.lower()).strip().rstrip(".")


def _as_number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def exact_quality(answer: str, reference: str) -> float:
    """1.0 when `answer` matches `reference` (see the module docstring), else 0.0."""
    if _normalise(answer) == _normalise(reference):
        return 1.0
    ref_number = _as_number(reference.strip())
    written = last_number(answer)
    if ref_number is not None and written is not None:
        last = _as_number(written)
        return 1.0 if last is not None and abs(last - ref_number) < 1e-9 else 0.0
    return 0.0


def last_number(text: str) -> str | None:
    """The last number written in `text`, commas dropped ("1,200" -> "1200")."""
    numbers = _NUMBER.findall(text)
    return numbers[-1].replace(",", "") if numbers else None


async def exact_judge(item: PromptItem, answer: str) -> float:
    """The `exact` judge; a prompt without a reference is an error."""
    if item.reference is None:
        raise ProfileError(
            "the exact judge needs a 'reference' for every prompt",
            "add references, or pass --judge <endpoint> to grade with a model",
        )
    return exact_quality(answer, item.reference)


JUDGE_TEMPLATE = (
    "Rate the answer to the question from 1 (useless) to 10 (perfect). "
    "Reply with the number only.\nQuestion: {prompt}\n{reference}Answer: {answer}\nRating:"
)


def model_judge(endpoint: Endpoint, egress: ProfileEgress) -> Judge:
    """A judge that asks `endpoint` for a 1-10 rating, through the privacy path.

    The rating request quotes the prompt, the answer and the reference, so it is
    scanned and redacted like any other; one a rule keeps local raises `NotSent`.
    """

    async def judge(item: PromptItem, answer: str) -> float:
        ref = f"Reference answer: {item.reference}\n" if item.reference else ""
        text, _ = await egress.ask(
            endpoint,
            JUDGE_TEMPLATE.format(prompt=item.prompt, reference=ref, answer=answer),
            GenerationOptions(max_tokens=4, temperature=0.0, seed=0),
            prompt_id=item.id,
            purpose="judge",
        )
        found = re.search(r"\d+(?:\.\d+)?", text)
        if not found:
            return 0.0
        return min(max((float(found.group()) - 1.0) / 9.0, 0.0), 1.0)

    return judge


async def profile_endpoints(
    items: Sequence[PromptItem],
    endpoints: Mapping[str, Endpoint],
    judge: Judge,
    egress: ProfileEgress,
    options: GenerationOptions | None = None,
    on_record: Callable[[ProfileRecord], None] | None = None,
) -> list[ProfileRecord]:
    """Every endpoint answers every prompt it may see; one profile record per prompt.

    Off-device requests go through `egress` (see router/learn/profile_egress.py).
    An endpoint a prompt may not be sent to, or whose answer cannot be judged
    without sending it, gets no outcome for that prompt; a prompt no endpoint
    could be profiled on gets no record (`egress.counts` says how many were held back).
    """
    options = options or GenerationOptions(max_tokens=256, temperature=0.0, seed=0)
    records = []
    for item in items:
        outcomes: dict[str, Outcome] = {}
        for name, endpoint in endpoints.items():
            try:
                answer, usage = await egress.ask(
                    endpoint, item.prompt, options, prompt_id=item.id, purpose="answer"
                )
                quality = await judge(item, answer)
            except NotSent:
                continue  # counted by `egress`; the other endpoints still answer
            outcomes[name] = Outcome(
                quality=quality,
                latency_s=usage.latency_s if usage else 0.0,
                cost_usd=usage.cost_usd if usage else 0.0,
            )
        if not outcomes:
            continue
        record = ProfileRecord(id=item.id, prompt=item.prompt, endpoints=outcomes)
        records.append(record)
        if on_record:
            on_record(record)
    return records
