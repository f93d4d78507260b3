"""Synthetic device profiles for the cascade fit: correctness that depends on log-prob."""

from __future__ import annotations

import random
from pathlib import Path

from router.learn.profile import Outcome, ProfileRecord, write_profile


def synthetic_device_profile(path: Path, n: int = 300, seed: int = 1) -> Path:
    """A profile where the device is right exactly when its mean log-prob is above -0.8.

    Entropy and agreement are noise; the cloud stand-in (`gpt-4`) is right 90%
    of the time at $0.002 a question.
    """
    rng = random.Random(seed)
    records = []
    for i in range(n):
        mean_lp = rng.uniform(-2.0, 0.0)
        right = mean_lp > -0.8
        records.append(
            ProfileRecord(
                id=f"mmlu-synthetic-{i}",
                prompt=f"question {i}",
                endpoints={
                    "local": Outcome(quality=1.0 if right else 0.0),
                    "gpt-4": Outcome(quality=1.0 if rng.random() < 0.9 else 0.0, cost_usd=0.002),
                },
                meta={
                    "benchmark": "mmlu",
                    "confidence": {
                        "score": 0.5,
                        "mean_logprob": round(mean_lp, 4),
                        "mean_entropy": round(rng.uniform(0.0, 2.0), 4),
                        "agreement": None if i % 10 == 0 else round(rng.random(), 4),
                    },
                },
            )
        )
    write_profile(records, path)
    return path
