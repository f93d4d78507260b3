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


def mislabelled_topic(n: int = 800, seed: int = 0) -> tuple[TrainingSet, TrainingSet]:
    """Training data whose strong labels are wrong on one topic, and the same prompts graded right.

    Topic A (the embedding's first coordinate is positive) is hard: the weak
    model always fails there. Topic B is easy: it fails on 30% at random. The
    strong model is right everywhere, but the training copy records it as
    right on only 10% of topic A (a grading artefact, as RouteLLM's GPT-4
    labels on MMLU mathematics). Returns (training copy, correctly graded copy).
    """
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n, 384))
    topic_a = rng.random(n) < 0.5
    emb[:, 0] = np.where(topic_a, 4.0, -4.0)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    weak = np.where(topic_a, 0.0, (rng.random(n) >= 0.3).astype(float))
    recorded_strong = np.where(topic_a, (rng.random(n) < 0.1).astype(float), 1.0)
    prompts = [f"prompt {i}" for i in range(n)]

    def copy(strong: np.ndarray) -> TrainingSet:
        return TrainingSet(prompts, emb, weak, strong, np.zeros(n), np.full(n, 0.01))

    return copy(recorded_strong), copy(np.ones(n))


def topics_only(n: int = 800, topics: int = 20, seed: int = 0) -> tuple[TrainingSet, list[str]]:
    """Prompts whose outcome depends on their topic alone, and each prompt's topic.

    Every topic has its own embedding centre; the weak model fails on every
    prompt of half the topics (chosen at random) and nowhere else, so a router
    can learn which topic is hard but nothing that carries to an unseen topic.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, 384))
    topic = rng.integers(0, topics, n)
    emb = 3.0 * centres[topic] / np.sqrt(384) + rng.normal(size=(n, 384)) / np.sqrt(384)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    hard_topic = rng.random(topics) < 0.5
    weak = np.where(hard_topic[topic], 0.0, 1.0)
    data = TrainingSet(
        [f"prompt {i}" for i in range(n)], emb, weak, np.ones(n), np.zeros(n), np.full(n, 0.01)
    )
    return data, [f"topic-{t}" for t in topic]
