"""Small generated data for the learning tests (no files from ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from router.learn.train import TrainingSet


def separable(n: int = 600, seed: int = 0) -> TrainingSet:
    """Prompts whose embedding says whether the strong model is needed.

    The weak model fails exactly when the embedding's first coordinate is
    positive; the strong model is always right.
    """
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n, 384))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    hard = emb[:, 0] > 0
    prompts = [("hard question " if h else "easy one ") + str(i) for i, h in enumerate(hard)]
    return TrainingSet(
        prompts=prompts,
        embeddings=emb,
        weak_quality=np.where(hard, 0.0, 1.0),
        strong_quality=np.ones(n),
        weak_cost=np.zeros(n),
        strong_cost=np.full(n, 0.01),
    )


def write_m4a1(path: Path, conversations: int = 12, seed: int = 0) -> Path:
    """An M4A1-shaped file: 2-4 turns, local slow and poor, cloud fast and good, views dear."""
    rng = np.random.default_rng(seed)
    questions = [
        "Turn on the lights.",
        "What is on the camera?",
        "Play some music.",
        "Is anyone home?",
    ]
    data = []
    for c in range(conversations):
        turns = []
        n_turns = 2 + c % 3
        for t in range(n_turns):
            q = questions[(c + t) % len(questions)]
            kind = (c + t) % 4
            action, views = [(0, None), (1, None), (1, [0]), (1, [1, 2])][kind]
            turns.append(
                {
                    "question": q,
                    "task_cat": "Query" if "?" in q else "Assistive System",
                    "action": action,
                    "image_index": views,
                    "answer": "ok",
                    "score": [0.5, 1.0, 1.5, 2.0][kind] + 0.01 * rng.random(),
                    "interaction_time": [8.0, 4.0, 5.0, 6.0][kind],
                    "usage_cost": [0.0001, 0.0005, 0.0045, 0.009][kind],
                }
            )
        assoc = rng.random((n_turns, 3)).tolist()
        data.append({"id": c, "image_paths": [], "interactions": turns, "association_score": assoc})
    path.write_text(json.dumps(data))
    return path
