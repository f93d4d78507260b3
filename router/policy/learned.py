"""The `learned` policy: a single-turn router from an artifact file.

The artifact is JSON (`tandem.linear-router`, version 1): a logistic model per
endpoint predicting answer quality in [0, 1] from the turn's features:

    {"format": "tandem.linear-router", "version": 1, "trained": false,
     "note": "...", "willingness_to_pay_usd": 0.05,
     "models": {"kind:local": {"bias": 0.9, "weights": {"difficulty": -2.2, ...}},
                "kind:cloud": {...}, "kind:edge": {...}, "<endpoint name>": {...}}}

A model under an endpoint's own name wins over its `kind:` model. Feature
names are those `feature_vector` returns. The shipped default
(`assets/routing_learned.json`) is hand-set, not trained; the learning issue
replaces it with a fitted one in the same format. The policy picks the
endpoint with the best utility: quality minus cost at the willingness to pay,
minus latency-target overrun, and keeps a conversation on its endpoint when
switching would resend more context than it gains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from router.errors import TandemError
from router.policy.artifact_file import read_artifact
from router.policy.classify import TASKS
from router.policy.decide import device_decision
from router.policy.estimate import (
    Estimate,
    Weights,
    candidates,
    choose_sticky,
    decision_for,
    estimate,
    offline_note,
)
from router.policy.features import MODALITIES, EndpointState, TurnFeatures
from router.policy.modality import select_attachments
from router.policy.trained_router import Router, load_router
from router.types import RouteDecision

LINEAR_FORMAT = "tandem.linear-router"
DEFAULT_LEARNED = Path(__file__).resolve().parents[2] / "assets" / "routing_learned.json"


def feature_vector(features: TurnFeatures) -> dict[str, float]:
    """The named numeric features a linear router reads."""
    vector = {
        "difficulty": features.difficulty,
        "log_tokens": math.log1p(features.tokens) / 8.0,
        "log_history_tokens": math.log1p(features.history_tokens) / 10.0,
        "followup": float(features.followup),
        "english": float(features.language == "en"),
        "n_attachments": float(min(len(features.attachments), 5)),
    }
    for task in TASKS:
        vector[f"task:{task}"] = float(features.task == task)
    present = features.modalities
    for modality in MODALITIES:
        vector[f"modality:{modality}"] = float(modality in present)
    return vector


@dataclass(frozen=True)
class LinearModel:
    """Logistic quality model: sigmoid(bias + weights . features)."""

    bias: float
    weights: Mapping[str, float]

    def predict(self, vector: Mapping[str, float]) -> float:
        """Quality in [0, 1]."""
        z = self.bias + sum(w * vector.get(k, 0.0) for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@dataclass(frozen=True)
class QualityModel:
    """Per-endpoint (or per-kind) linear quality models from one artifact.

    With a trained `gap_router` (`tandem router train`; the shipped one learned
    on RouteLLM's GSM8K + MMLU outcomes) and the turn's embedding, an
    off-device endpoint's quality is the device's plus the router's predicted
    quality gap between a strong and a weak model for this question.
    """

    models: Mapping[str, LinearModel]
    trained: bool = False
    source: str = ""
    gap_router: Router | None = None

    def predict(self, state: EndpointState, features: TurnFeatures) -> float:
        """Expected quality of `state` answering this turn (0.5 when no model covers it)."""
        model = self.models.get(state.name) or self.models.get(f"kind:{state.kind}")
        quality = model.predict(feature_vector(features)) if model else 0.5
        if self.gap_router is None or features.embedding is None or not state.remote:
            return quality
        local = self.models.get("kind:local")
        device = local.predict(feature_vector(features)) if local else 0.5
        # score ~ (1 + E[q_strong - q_weak]) / 2, so the expected gap is 2 * score - 1.
        score = float(self.gap_router.score(features.embedding[None, :], [features.question])[0])
        return min(1.0, max(0.0, device + 2.0 * score - 1.0))


def load_quality_model(
    path: str | Path | None = None, gap_router: str | None = None
) -> QualityModel:
    """Read a `tandem.linear-router` artifact; a clear `TandemError` if it is bad.

    `gap_router`: a `tandem router train` artifact, `bundled` for the shipped one,
    or None for the linear models alone.
    """
    file, data, hint = read_artifact(
        path,
        DEFAULT_LEARNED,
        label="routing artifact",
        setting="learned_artifact",
        fmt=LINEAR_FORMAT,
    )
    try:
        models = {
            key: LinearModel(
                bias=float(spec["bias"]),
                weights={str(k): float(v) for k, v in spec.get("weights", {}).items()},
            )
            for key, spec in data["models"].items()
        }
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TandemError(f"routing artifact {file} is malformed ({exc})", hint) from exc
    router = None
    if gap_router:
        router = load_router(None if gap_router == "bundled" else gap_router)
    return QualityModel(
        models, trained=bool(data.get("trained", False)), source=str(file), gap_router=router
    )


class LearnedPolicy:
    """Choose the endpoint with the best predicted quality for its cost and latency."""

    name = "learned"

    def __init__(
        self, quality: QualityModel, weights: Weights | None = None, sticky: bool = True
    ) -> None:
        """`weights` set the willingness to pay; `sticky` keeps follow-ups on one endpoint."""
        self.quality = quality
        self.weights = weights or Weights()
        self.sticky = sticky

    def rank(self, features: TurnFeatures) -> list[Estimate]:
        """Every candidate endpoint's estimate, best utility first."""
        ests = [
            estimate(
                s, self.quality.predict(s, features), features, self.weights, sticky=self.sticky
            )
            for s in candidates(features)
        ]
        return sorted(ests, key=lambda e: (-e.utility, e.cost_usd))

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Pick the reachable endpoint with the best utility."""
        ranked = self.rank(features)
        if not ranked:
            return device_decision(features, self.name, "no endpoint reachable")
        chosen, note = (
            choose_sticky(features, ranked, self.weights) if self.sticky else (ranked[0], "")
        )
        reason = note or _explain(chosen, ranked, features)
        selection = select_attachments(features, chosen.state, features.question, self.weights)
        if selection.note:
            reason += f"; {selection.note}"
        return decision_for(chosen, self.name, reason, selection.sent)


def _explain(chosen: Estimate, ranked: list[Estimate], features: TurnFeatures) -> str:
    """One line: the winner's quality and cost, and the runner-up it beat."""
    text = (
        f"{features.task} turn, difficulty {features.difficulty:.2f}: {chosen.state.name} "
        f"(quality {chosen.quality:.2f}, ${chosen.cost_usd:.4f})"
    )
    others = [e for e in ranked if e is not chosen]
    if others:
        text += f" over {others[0].state.name} (quality {others[0].quality:.2f})"
    return text + offline_note(features)
