"""Turn features: language, task, follow-ups, attachments, budgets and latency."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from router.ledger.store import Ledger
from router.policy.classify import classify_task, detect_language, embedding_difficulty
from router.policy.features import BudgetLimits, LatencyTracker, kept_local_attachments
from router.types import Attachment, Finding, Message, PrivacyReport, RouteDecision, Usage
from tests.router.policy.helpers import endpoints, features_for, keep_local_report, request


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What is the best way to learn this?", "en"),
        ("Wie ist das Wetter heute in der Stadt?", "de"),
        ("Quelle est la meilleure façon de faire ce que je veux?", "fr"),
        ("¿Cuál es la mejor manera de aprender y para qué?", "es"),
        ("Как дела? Что нового?", "ru"),
        ("今日はいい天気ですね", "ja"),
        ("12345 678", "unknown"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("Fix this bug in my Python script", "code"),
        ("Solve the equation 3x + 4 = 19", "math"),
        ("Write a poem about autumn", "writing"),
        ("Translate this into French", "translation"),
        ("Summarize the meeting notes", "summarization"),
        ("Extract all dates from the text", "extraction"),
        ("Why is the sky blue?", "reasoning"),
        ("hello!", "chat"),
    ],
)
def test_task(text: str, task: str) -> None:
    assert classify_task(text) == task


def test_features_of_a_turn() -> None:
    eps = endpoints(cloud_up=False, edge=True)
    history = [
        Message(role="user", content="Prove that the algorithm terminates, step by step."),
        Message(role="assistant", content="Here is the proof. " * 10),
    ]
    note = Attachment(name="notes.txt", mime_type="text/plain", size_bytes=4000)
    feats = features_for(request("do it", [note]), eps, history=history, previous="claude")
    assert feats.followup and feats.difficulty >= 0.6  # as hard as the question it continues
    assert feats.history_turns == 1 and feats.history_tokens > 40
    assert feats.attachments[0].modality == "text" and feats.attachments[0].tokens == 1008
    assert set(feats.endpoints) == {"local", "claude", "edge"}
    assert feats.online  # the edge box is up although the cloud is down
    assert not features_for(request("do it"), eps).followup  # nothing to follow


def test_embedding_sharpens_difficulty() -> None:
    class Embedder:
        """Hard prototypes along x, easy along y; questions by keyword."""

        def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            rows = []
            for t in texts:
                hard = any(w in t for w in ("Prove", "Design", "bug", "Derive", "theorem"))
                rows.append([1.0, 0.0] if hard else [0.0, 1.0])
            return np.array(rows, dtype=np.float32)

    embedder = Embedder()
    assert embedding_difficulty(embedder.embed(["theorem"])[0], embedder) > 0.99
    assert embedding_difficulty(embedder.embed(["hi"])[0], embedder) < 0.01


def test_kept_local_attachments_follow_the_findings() -> None:
    files = [
        Attachment(name="scan.png", mime_type="image/png", size_bytes=1, path="/x/scan.png"),
        Attachment(name="todo.txt", mime_type="text/plain", size_bytes=1),
    ]
    image = Finding(
        type="IMAGE",
        start=0,
        end=0,
        part="attachment",
        confidence=1.0,
        detector="mime",
        source="/x/scan.png",
    )
    report = keep_local_report().model_copy(update={"findings": (image,)})
    assert kept_local_attachments(report, files) == {"scan.png"}
    assert kept_local_attachments(PrivacyReport(), files) == set()
    feats = features_for(request("look", files), endpoints(), report=report)
    assert [a.kept_local for a in feats.attachments] == [True, False]


def test_budgets_come_from_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    route = RouteDecision(endpoint="claude", endpoint_kind="cloud", policy="p", reason="r")
    for sid, cost in (("a", 0.25), ("a", 0.5), ("b", 1.0)):
        ledger.ensure_session(sid)
        turn = ledger.begin_turn(sid, "q")
        usage = Usage(input_tokens=1, output_tokens=1, latency_s=2.0, ttft_s=0.5, cost_usd=cost)
        ledger.finish_turn(turn.id, status="complete", answer="x", route=route, usage=usage)
    limits = BudgetLimits(per_day_usd=2.0, per_month_usd=10.0, per_conversation_usd=1.0)
    budgets = limits.remaining(ledger, "a")
    assert budgets.day_usd == pytest.approx(0.25)
    assert budgets.month_usd == pytest.approx(8.25)
    assert budgets.conversation_usd == pytest.approx(0.25)
    assert limits.remaining(ledger, "a", now=datetime(2999, 1, 1, tzinfo=UTC)).day_usd == 2.0
    assert ledger.last_endpoint("a") == "claude" and ledger.last_endpoint("zzz") is None
    tracker = LatencyTracker()
    tracker.seed(ledger)
    assert tracker.latency_s("claude") == pytest.approx(2.0)
    assert tracker.ttft_s("claude") == pytest.approx(0.5)
    assert tracker.latency_s("local") is None
