"""The profile format: how well each endpoint answered each prompt, at what latency and cost.

A profile is JSON Lines, one record per prompt (blank lines are skipped)::

    {"id": "gsm8k-17", "prompt": "Janet's ducks lay 16 eggs ...",
     "conversation": null, "turn": null,
     "endpoints": {"local": {"quality": 0.0, "latency_s": 3.1, "cost_usd": 0.0},
                   "cloud": {"quality": 1.0, "latency_s": 1.4, "cost_usd": 0.0021}}}

- `id` (str, unique in the file) and `prompt` (str) are required.
- `conversation` (str or null) and `turn` (int or null) place a prompt in a
  multi-turn conversation; single-turn data leaves them null.
- `endpoints` maps an endpoint name to its outcome on this prompt: `quality`
  in [0, 1] (1 = best; exact match gives 0 or 1, a judge's 1-10 score maps to
  (s - 1) / 9), `latency_s` >= 0 (whole answer) and `cost_usd` >= 0. Records
  may cover different endpoints; training uses the records that have both the
  strong and the weak endpoint.
- Extra keys are allowed and ignored (`meta` is conventional for provenance).

`tandem router profile` writes this format from your own endpoints and
prompts; `tandem router convert` writes it from the public RouteLLM and M4A1
files. `load_profile` names the line of the first invalid record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from router.errors import TandemError


@dataclass(frozen=True)
class Outcome:
    """One endpoint's answer to one prompt: quality in [0, 1], latency and cost."""

    quality: float
    latency_s: float = 0.0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class ProfileRecord:
    """One prompt and every profiled endpoint's outcome on it."""

    id: str
    prompt: str
    endpoints: Mapping[str, Outcome]
    conversation: str | None = None
    turn: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object of the profile format."""
        data: dict[str, Any] = {
            "id": self.id,
            "prompt": self.prompt,
            "conversation": self.conversation,
            "turn": self.turn,
            "endpoints": {
                name: {"quality": o.quality, "latency_s": o.latency_s, "cost_usd": o.cost_usd}
                for name, o in self.endpoints.items()
            },
        }
        if self.meta:
            data["meta"] = dict(self.meta)
        return data


class ProfileError(TandemError):
    """A profile file that does not follow the format."""


def _number(value: object, what: str, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not (low <= number <= high) or math.isnan(number):
        bound = f"[{low:g}, {high:g}]" if high < math.inf else f">= {low:g}"
        raise ValueError(f"{what} must be {bound}, got {number:g}")
    return number


def parse_record(data: object) -> ProfileRecord:
    """Validate one decoded JSON value; `ValueError` says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("a record must be a JSON object")
    rid, prompt = data.get("id"), data.get("prompt")
    if not isinstance(rid, str) or not rid:
        raise ValueError("'id' must be a non-empty string")
    if not isinstance(prompt, str):
        raise ValueError("'prompt' must be a string")
    conversation, turn = data.get("conversation"), data.get("turn")
    if conversation is not None and not isinstance(conversation, str):
        raise ValueError("'conversation' must be a string or null")
    if turn is not None and (isinstance(turn, bool) or not isinstance(turn, int)):
        raise ValueError("'turn' must be an integer or null")
    raw = data.get("endpoints")
    if not isinstance(raw, dict) or not raw:
        raise ValueError("'endpoints' must be a non-empty object")
    endpoints: dict[str, Outcome] = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise ValueError(f"endpoints[{name!r}] must be an object")
        if "quality" not in spec:
            raise ValueError(f"endpoints[{name!r}] has no 'quality'")
        endpoints[name] = Outcome(
            quality=_number(spec["quality"], f"endpoints[{name!r}].quality", 0.0, 1.0),
            latency_s=_number(spec.get("latency_s", 0.0), f"endpoints[{name!r}].latency_s", 0.0),
            cost_usd=_number(spec.get("cost_usd", 0.0), f"endpoints[{name!r}].cost_usd", 0.0),
        )
    meta = data.get("meta")
    return ProfileRecord(
        id=rid,
        prompt=prompt,
        endpoints=endpoints,
        conversation=conversation,
        turn=turn,
        meta=meta if isinstance(meta, dict) else {},
    )


def load_profile(path: str | Path) -> list[ProfileRecord]:
    """Read and validate a profile; a `ProfileError` names the file and line of a bad record."""
    file = Path(path)
    hint = "see the profile format in router/learn/profile.py (or `tandem router --help`)"
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {file}: {exc}", hint) from exc
    records: list[ProfileRecord] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = parse_record(json.loads(line))
            if record.id in seen:
                raise ValueError(f"duplicate id {record.id!r}")
        except (json.JSONDecodeError, ValueError) as exc:
            raise ProfileError(f"{file}, line {number}: {exc}", hint) from exc
        seen.add(record.id)
        records.append(record)
    if not records:
        raise ProfileError(f"profile {file} has no records", hint)
    return records


def write_profile(records: Iterable[ProfileRecord], path: str | Path) -> int:
    """Write records as JSONL; returns how many were written."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count
