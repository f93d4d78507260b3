"""Learning from use: regret of the router updated by the user's ratings vs the static one.

Replays held-out profiles as a user whose rating of each answer is its true
correctness (router/learn/feedback_replay.py): for each turn in order, a router
picks one of two endpoints, the user rates the picked answer, and the online
router learns from the rating before the next turn (`UserRatings`, the chat's
correction, router/policy/user_ratings.py). Regret is against the oracle (the best
endpoint per turn under the same weighting, quality minus cost / $0.05) after 50,
200 and 1,000 rated turns; mean and standard deviation over `--seeds` shuffles.

Data:
- RouteLLM (`--data-dir`/routellm): MMLU + GSM8K, contaminated prompts dropped, GPT-4
  (cloud tier) vs Mixtral (edge tier) correctness with their list-price costs
  (router/learn/datasets.py). A fixed pool of 3,000 prompts (seed 0); each seed
  shuffles it: the first 1,000 are replayed, the other 2,000 fit the calibrated
  predictor.
- RouteLLM GSM8K alone: the same, from GSM8K only. The shipped quality model was
  fitted on MMLU questions only, so this is a user whose questions differ from
  what the model learned from: the case learning from use is for.
- The device profile (`--device-profile`, default the shipped
  benchmarks/data/device_mmlu_1000.jsonl.gz): the 320 questions of its held-out
  split (the shipped quality model never saw them), answered by the bundled model
  (local tier) and GPT-4; each seed replays 220, the other 100 fit.

Static predictors (each replayed static and online):
- `chat model`: what the chat's `learned` policy runs by default, the shipped quality
  artifact and trained gap router (`load_quality_model(None, "bundled")`), on the
  turn's features as the chat computes them (MiniLM on the first 128 characters).
- `calibrated`: each endpoint's mean quality on the fitting part (a constant).

    .venv/bin/python benchmarks/router_feedback.py [--seeds 5] [--cache DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.learn.datasets import STRONG, WEAK, load_routellm  # noqa: E402
from router.learn.embed_cache import EmbeddingCache  # noqa: E402
from router.learn.feedback_replay import ReplayStream, cumulative_regret, replay  # noqa: E402
from router.learn.fit_cascade import is_held_out  # noqa: E402
from router.learn.profile import ProfileRecord  # noqa: E402
from router.learn.profile_file import load_settled  # noqa: E402
from router.policy.classify import EMBED_CHARS  # noqa: E402
from router.policy.features import EndpointState, compute_features  # noqa: E402
from router.policy.learned import load_quality_model  # noqa: E402
from router.types import EndpointKind, PrivacyReport, TurnRequest  # noqa: E402

WTP_USD = 0.05  # the chat's default willingness to pay (router/policy/estimate.py Weights)
POOL = 3000
SEED = 0
"""The split seed of the shipped quality model (`fit-quality --seed 0`)."""
DEVICE_PROFILE = ROOT / "benchmarks" / "data" / "device_mmlu_1000.jsonl.gz"
CHECKPOINTS = (50, 200, 1000)


class _CachedEmbedder:
    """The MiniLM embedder, through the on-disk cache (as `tandem router train` embeds)."""

    def __init__(self, cache: EmbeddingCache) -> None:
        self.cache = cache

    def embed(self, texts: list[str], batch_size: int = 32) -> Any:
        return self.cache.embed(texts)


def _chat_predictions(
    records: Sequence[ProfileRecord],
    names: tuple[str, str],
    kinds: tuple[str, str],
    cache: EmbeddingCache,
) -> np.ndarray:
    """(turns, 2): the chat's default quality model on each prompt, per endpoint."""
    model = load_quality_model(None, "bundled")
    embedder = _CachedEmbedder(cache)
    states = {
        name: EndpointState(name, kind, True, 128_000, 0.0, 0.0)  # type: ignore[arg-type]
        for name, kind in zip(names, kinds, strict=True)
    }
    rows = []
    for record in records:
        request = TurnRequest(text=record.prompt, session_id="replay")
        features = compute_features(request, PrivacyReport(), (), states, embedder=embedder)
        rows.append([model.predict(states[name], features) for name in names])
    return np.array(rows)


def _stream(
    records: Sequence[ProfileRecord],
    names: tuple[str, str],
    kinds: tuple[EndpointKind, EndpointKind],
    cache: EmbeddingCache,
) -> ReplayStream:
    embeddings = cache.embed([r.prompt[:EMBED_CHARS] for r in records])
    return ReplayStream(
        names=names,
        kinds=kinds,
        embeddings=np.asarray(embeddings, dtype=np.float32),
        quality=np.array([[r.endpoints[n].quality for n in names] for r in records]),
        cost_usd=np.array([[r.endpoints[n].cost_usd for n in names] for r in records]),
        predicted=_chat_predictions(records, names, kinds, cache),
    )


def _with_predictions(stream: ReplayStream, predicted: np.ndarray) -> ReplayStream:
    return ReplayStream(
        stream.names, stream.kinds, stream.embeddings, stream.quality, stream.cost_usd, predicted
    )


def _runs(stream: ReplayStream, seeds: int, replayed: int) -> dict[str, list[np.ndarray]]:
    """Cumulative regret of every router, per seed, on the first `replayed` shuffled turns."""
    runs: dict[str, list[np.ndarray]] = {}
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(len(stream.quality))
        replay_rows, fit_rows = order[:replayed], order[replayed:]
        constant = np.tile(stream.quality[fit_rows].mean(axis=0), (len(stream.quality), 1))
        calibrated = _with_predictions(stream, constant)
        for label, source in (("chat model", stream), ("calibrated", calibrated)):
            for online in (False, True):
                regret, _ = replay(source, replay_rows, wtp_usd=WTP_USD, online=online)
                key = f"{label} | {'online' if online else 'static'}"
                runs.setdefault(key, []).append(regret)
        strong = np.ones(len(replay_rows), dtype=np.int64)
        runs.setdefault(f"always {stream.names[1]} | -", []).append(
            cumulative_regret(stream, strong, WTP_USD, replay_rows)
        )
    return runs


def _calibration(stream: ReplayStream) -> str:
    """The chat model's mean predicted quality per endpoint against the true mean."""
    parts = [
        f"{name} {stream.predicted[:, e].mean():.2f} (true {stream.quality[:, e].mean():.2f})"
        for e, name in enumerate(stream.names)
    ]
    return "chat model's mean predicted quality: " + ", ".join(parts)


def _table(
    title: str, stream: ReplayStream, runs: dict[str, list[np.ndarray]], replayed: int
) -> str:
    points = [p for p in CHECKPOINTS if p < replayed] + [replayed]
    head = " | ".join(f"regret after {p}" for p in points)
    lines = [title, "", _calibration(stream), ""]
    lines += [f"| predictor | router | {head} |", "| --- | --- |" + " --- |" * len(points)]
    for key, curves in runs.items():
        stacked = np.stack(curves)
        cells = [f"{stacked[:, p - 1].mean():.1f} ± {stacked[:, p - 1].std():.1f}" for p in points]
        predictor, router = key.split(" | ")
        lines.append(f"| {predictor} | {router} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--device-profile", type=Path, default=DEVICE_PROFILE)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    args = parser.parse_args(argv)
    cache = EmbeddingCache(cache_dir=args.cache)

    root = args.data_dir / "routellm"
    mmlu, gsm8k = load_routellm(root, "mmlu"), load_routellm(root, "gsm8k")
    for title, records in (("MMLU + GSM8K", mmlu + gsm8k), ("GSM8K only", gsm8k)):
        pool = [records[i] for i in np.random.default_rng(0).permutation(len(records))[:POOL]]
        routellm = _stream(pool, (WEAK, STRONG), ("edge", "cloud"), cache)
        title = f"RouteLLM {title}, {WEAK} (edge) vs {STRONG} (cloud), {args.seeds} seeds"
        print(_table(title, routellm, _runs(routellm, args.seeds, 1000), 1000))
        print()
    profile, _ = load_settled(args.device_profile)
    # Only the questions the shipped quality model was not fitted on (its held-out split).
    device = [
        r for r in profile if {"local", STRONG} <= set(r.endpoints) and is_held_out(r.id, SEED)
    ]
    stream = _stream(device, ("local", STRONG), ("local", "cloud"), cache)
    replayed = len(device) - 100
    title = (
        f"Device profile {args.device_profile.name}, its {len(device)} held-out questions, "
        f"local vs {STRONG}, {args.seeds} seeds"
    )
    print(_table(title, stream, _runs(stream, args.seeds, replayed), replayed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
