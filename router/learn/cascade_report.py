"""Fit the cascade on a profile file, measure it on the held-out split, and write the artifact.

The method is router/learn/fit_cascade.py; the artifact's format is
router/policy/cascade_artifact.py. The held-out figures compare the fitted
confidence with the hand-set prior (AUROC of confidence vs correctness) and
the fitted cascade with always answering on the device, always escalating
(the cloud stand-in's correctness) and the prior cascade at its threshold.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from router.learn.fit_cascade import (
    HELD_OUT_PERCENT,
    L2,
    SPLIT_RULE,
    Array,
    Example,
    FitError,
    auroc,
    cascade_outcome,
    choose_threshold,
    examples_from,
    fit_confidence,
    split,
)
from router.learn.profile_file import load_settled
from router.policy.cascade_artifact import FORMAT
from router.policy.confidence import PRIOR, PRIOR_THRESHOLD, Scorer


@dataclass(frozen=True)
class FitRequest:
    """What to fit on and how: the profile, endpoint names, split seed and the price of quality."""

    profile: Path
    seed: int = 0
    local: str = "local"
    cloud: str = "gpt-4"
    willingness_to_pay: float = 0.05
    command: str = ""


def score_examples(examples: Sequence[Example], scorer: Scorer) -> Array:
    """Each example's confidence under `scorer`; an empty answer scores 0 (as at run time)."""
    return np.array(
        [
            0.0
            if e.mean_logprob is None
            else scorer.score(e.mean_logprob, e.mean_entropy, e.agreement)
            for e in examples
        ]
    )


def _labels(examples: Sequence[Example]) -> Array:
    return np.array([e.local_right for e in examples])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _row(accuracy: float, escalated: float, cost: float) -> dict[str, float]:
    return {
        "accuracy": round(accuracy, 4),
        "escalation_rate": round(escalated, 4),
        "cloud_cost_usd": round(cost, 6),
    }


def _held_out_figures(
    held: Sequence[Example], fitted: Array, prior: Array, threshold: float
) -> dict[str, Any]:
    return {
        "auroc_fitted": _rounded(auroc(fitted, _labels(held))),
        "auroc_prior": _rounded(auroc(prior, _labels(held))),
        "always_local": _row(*cascade_outcome(fitted, held, 0.0)),
        "always_cloud": _row(*cascade_outcome(fitted, held, np.inf)),
        "cascade_fitted": _row(*cascade_outcome(fitted, held, threshold)),
        "cascade_prior": _row(*cascade_outcome(prior, held, PRIOR_THRESHOLD)),
    }


def fit_cascade(request: FitRequest) -> dict[str, Any]:
    """The `tandem.cascade` artifact fitted on `request.profile`, with held-out figures."""
    records, sha256 = load_settled(request.profile)
    examples = examples_from(records, request.local, request.cloud)
    train, held = split(examples, request.seed)
    if not held:
        raise FitError(
            f"the held-out split of {request.profile} is empty ({len(examples)} records)",
            "profile more questions and fit again",
        )
    model = fit_confidence(train)
    train_scores = score_examples(train, model)
    threshold = choose_threshold(train_scores, train, request.willingness_to_pay)
    held_fitted, held_prior = score_examples(held, model), score_examples(held, PRIOR)
    return {
        "format": FORMAT,
        "version": 1,
        "confidence": model.to_json(),
        "threshold": threshold,
        "criterion": "on the training split, the threshold maximising mean quality minus "
        f"mean cloud cost / {request.willingness_to_pay} USD (escalated questions get "
        f"'{request.cloud}''s correctness and cost); ties to the lower threshold",
        "auroc": {
            "train": _rounded(auroc(train_scores, _labels(train))),
            "held_out": _rounded(auroc(held_fitted, _labels(held))),
            "prior_held_out": _rounded(auroc(held_prior, _labels(held))),
        },
        "held_out": _held_out_figures(held, held_fitted, held_prior, threshold),
        "n": {
            "train": len(train),
            "held_out": len(held),
            "held_out_right": int(_labels(held).sum()),
        },
        "data": {"file": request.profile.name, "sha256": sha256, "records": len(records)},
        "endpoints": {"local": request.local, "cloud": request.cloud},
        "split": SPLIT_RULE,
        "held_out_percent": HELD_OUT_PERCENT,
        "l2": L2,
        "seed": request.seed,
        "command": request.command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_artifact(artifact: dict[str, Any], out: Path) -> None:
    """Write the artifact as indented JSON (a reviewable diff when it is re-fitted)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(artifact, indent=2) + "\n", encoding="utf-8")


def format_report(artifact: dict[str, Any]) -> str:
    """The held-out figures as a short table for the terminal and benchmarks/README.md."""
    held, n, auc = artifact["held_out"], artifact["n"], artifact["auroc"]
    lines = [
        f"fit on {n['train']} records, held out {n['held_out']} "
        f"({n['held_out_right']} answered right on the device; "
        f"{artifact['data']['file']}, seed {artifact['seed']})",
        f"AUROC of confidence vs correctness: fitted {auc['train']} train / "
        f"{auc['held_out']} held-out; prior {auc['prior_held_out']} held-out",
        f"threshold {artifact['threshold']:.4f} (fitted); prior {PRIOR_THRESHOLD}",
        "held-out                 accuracy  escalated  cloud USD/question",
    ]
    names = {
        "always_local": "always local",
        "always_cloud": "always cloud",
        "cascade_fitted": "cascade (fitted)",
        "cascade_prior": f"cascade (prior, {PRIOR_THRESHOLD})",
    }
    for key, label in names.items():
        row = held[key]
        lines.append(
            f"{label:<24} {row['accuracy']:>8.1%} {row['escalation_rate']:>10.1%} "
            f"{row['cloud_cost_usd']:>18.6f}"
        )
    return "\n".join(lines)
