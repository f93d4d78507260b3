"""The chat's `learned` and `cascade` policies on the held-out split of a device profile.

    PYTHONPATH=. .venv/bin/python benchmarks/router_learned.py --profile device_mmlu.jsonl \\
        [--artifact assets/routing_learned.json] [--cascade assets/routing_cascade.json] \\
        [--plot benchmarks/out/router_learned.png] [--json out.json] [--cache DIR]
    PYTHONPATH=. .venv/bin/python benchmarks/router_learned.py --mt-bench ../shared/data/routellm

(`--mt-bench`: the same quality model, cross-dataset; benchmarks/router_learned_mt_bench.py.)

Two tiers, the profile's `local` (the device's model) against `gpt-4` (the
cloud stand-in, with RouteLLM's recorded correctness and cost), on the records
held out by the artifact's split (its seed; the rule of
router/learn/fit_cascade.py, which both fitters share, so neither artifact saw
these questions). Each router orders the questions by a score and sends the top
ones to the cloud; sweeping the cut traces quality against the share of cloud
calls. The metrics are RouteLLM's (Ong et al. 2024, "RouteLLM: Learning to
Route LLMs with Preference Data", arXiv:2406.18665: performance gap recovered
and the call-performance threshold):

- APGR: the area under that curve, minus always-local quality, over the gap
  between always-cloud and always-local quality (router/learn/metrics.py).
- CPT(x%): the smallest share of cloud calls whose quality reaches always-local
  + x% of the gap; `_usd` is the mean cloud cost per question at that point.

Routers: `learned` scores the predicted gain P(cloud right) - P(local right)
of the fitted models (the chat computes the same features:
router/learn/quality_features.py); `learned (gain/$)` divides it by the
question's cloud cost, so its cut is exactly the chat's rule "cloud when the
gain is worth its price" swept over the willingness to pay; `cascade` escalates
the least confident device answers first (the fitted confidence of
assets/routing_cascade.json on the recorded signals; an empty answer scores 0);
`random` is the expectation of random routing (quality linear in the share);
`oracle` knows the outcomes (the most any router could recover here).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.learn.embed_cache import EmbeddingCache  # noqa: E402
from router.learn.fit_cascade import auroc, is_held_out  # noqa: E402
from router.learn.metrics import Curve, apgr, cpt, cpt_point, routing_curve  # noqa: E402
from router.learn.profile_file import load_settled  # noqa: E402
from router.learn.quality_features import prompt_features  # noqa: E402
from router.memory.embedding import shared_embedder  # noqa: E402
from router.policy.cascade_artifact import DEFAULT_CASCADE, load_calibration  # noqa: E402
from router.policy.quality_model import DEFAULT_LEARNED, parse_models  # noqa: E402

Array = npt.NDArray[np.float64]
LOCAL, CLOUD = "local", "gpt-4"
WILLINGNESS_TO_PAY = 0.05
"""USD per 1.0 of quality: the `[routing]` default, for the learned policy's operating point."""


def _cost_at(curve: Curve, fraction: float) -> float:
    """Mean cloud cost per question at the first point that recovers `fraction` of the gap."""
    point = cpt_point(curve, fraction)
    return float(curve.cost[-1 if point is None else point])


def _row(curve: Curve) -> dict[str, float]:
    return {
        "apgr": apgr(curve),
        "cpt50": cpt(curve, 0.5),
        "cpt50_usd": _cost_at(curve, 0.5),
        "cpt80": cpt(curve, 0.8),
        "cpt80_usd": _cost_at(curve, 0.8),
    }


def router_row(
    scores: npt.ArrayLike, local: npt.ArrayLike, cloud: npt.ArrayLike, cost: npt.ArrayLike
) -> dict[str, float]:
    """APGR, CPT(50%), CPT(80%) and their costs of routing the top scores to the cloud."""
    return _row(router_curve(scores, local, cloud, cost))


def router_curve(
    scores: npt.ArrayLike, local: npt.ArrayLike, cloud: npt.ArrayLike, cost: npt.ArrayLike
) -> Curve:
    """Quality and mean cost against the cloud share; the device costs nothing."""
    return routing_curve(scores, local, cloud, np.zeros(len(np.asarray(cost))), cost)


def random_curve(local: npt.ArrayLike, cloud: npt.ArrayLike, cost: npt.ArrayLike) -> Curve:
    """Random routing in expectation: quality and cost linear in the cloud share."""
    w, s, c = (float(np.mean(np.asarray(a, dtype=np.float64))) for a in (local, cloud, cost))
    grid = np.linspace(0.0, 1.0, 101)
    return Curve(grid, w + grid * (s - w), grid * c, np.linspace(1.0, 0.0, 101))


def random_row(local: npt.ArrayLike, cloud: npt.ArrayLike, cost: npt.ArrayLike) -> dict[str, float]:
    """The expected metrics of random routing: APGR 1/2, CPT(x) = x."""
    return _row(random_curve(local, cloud, cost))


def apgr_interval(
    scores: Array, local: Array, cloud: Array, rounds: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95% percentile bootstrap interval of APGR, resampling the questions (fixed seed)."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        pick = rng.integers(0, len(scores), len(scores))
        value = apgr(routing_curve(scores[pick], local[pick], cloud[pick]))
        if np.isfinite(value):
            values.append(value)
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def cascade_scores(confidences: Sequence[float | None]) -> Array:
    """Escalation order of the cascade: least confident first; an empty answer (None) is 0."""
    return np.array([-(c or 0.0) for c in confidences], dtype=np.float64)


def _confidences(records: Sequence[Any], cascade: Path) -> list[float | None]:
    """The fitted cascade's confidence of each record's device answer (None: no tokens)."""
    model = load_calibration(cascade).model
    found: list[float | None] = []
    for record in records:
        conf = record.meta.get("confidence") or {}
        lp = conf.get("mean_logprob")
        found.append(
            None
            if lp is None
            else model.score(
                float(lp), float(conf.get("mean_entropy") or 0.0), conf.get("agreement")
            )
        )
    return found


def predictions(
    records: Sequence[Any],
    artifact: dict[str, Any],
    cache_dir: Path | None,
    kinds: tuple[str, str] = ("kind:local", "kind:cloud"),
) -> tuple[Array, Array]:
    """P(right) per record from the models serving `kinds` (default: device, cloud)."""
    models = parse_models(artifact)
    embedder = shared_embedder()
    data = prompt_features(
        [r.prompt for r in records], embedder, EmbeddingCache(embedder, cache_dir)
    )
    rows = [dict(zip(data.names, row, strict=True)) for row in data.cheap]
    local, cloud = models[kinds[0]], models[kinds[1]]
    pairs = zip(rows, data.embeddings, strict=True)
    predicted = np.array([(local.predict(v, e), cloud.predict(v, e)) for v, e in pairs])
    return predicted[:, 0], predicted[:, 1]


def evaluate(
    profile: Path, artifact_file: Path, cascade: Path, cache_dir: Path | None = None
) -> dict[str, Any]:
    """Every router's row and curve on the held-out records, and the policies' operating points."""
    artifact = json.loads(artifact_file.read_text(encoding="utf-8"))
    records, sha256 = load_settled(profile)
    held = [r for r in records if is_held_out(r.id, int(artifact["seed"]))]
    local = np.array([r.endpoints[LOCAL].quality for r in held])
    cloud = np.array([r.endpoints[CLOUD].quality for r in held])
    cost = np.array([r.endpoints[CLOUD].cost_usd for r in held])
    p_local, p_cloud = predictions(held, artifact, cache_dir)
    gain = p_cloud - p_local
    confidence = _confidences(held, cascade)
    curves = {
        "learned": router_curve(gain, local, cloud, cost),
        "learned (gain/$)": router_curve(gain / np.maximum(cost, 1e-9), local, cloud, cost),
        "cascade": router_curve(cascade_scores(confidence), local, cloud, cost),
        "random": random_curve(local, cloud, cost),
        "oracle": router_curve(cloud - local, local, cloud, cost),
    }
    rows: dict[str, dict[str, Any]] = {name: dict(_row(curve)) for name, curve in curves.items()}
    scores = {"learned": gain, "cascade": cascade_scores(confidence)}
    for name, score in scores.items():
        rows[name]["apgr_ci"] = apgr_interval(score, local, cloud)
    calibration = load_calibration(cascade)
    to_cloud = {
        f"learned at ${WILLINGNESS_TO_PAY} per quality point": gain >= cost / WILLINGNESS_TO_PAY,
        f"cascade at its threshold {calibration.threshold:g}": np.array(
            [(c or 0.0) < calibration.threshold for c in confidence]
        ),
    }
    rows["learned"]["auroc_local"] = _maybe(auroc(p_local, local))
    rows["cascade"]["auroc_local"] = _maybe(auroc([c or 0.0 for c in confidence], local))
    return {
        "profile": {"file": profile.name, "sha256": sha256, "records": len(records)},
        "artifact": {"file": artifact_file.name, "data": artifact.get("data")},
        "n_held_out": len(held),
        "always_local": {"quality": float(local.mean()), "usd": 0.0},
        "always_cloud": {"quality": float(cloud.mean()), "usd": float(cost.mean())},
        "rows": rows,
        "operating_points": {k: _point(m, local, cloud, cost) for k, m in to_cloud.items()},
        "curves": curves,
    }


def _point(
    to_cloud: npt.NDArray[np.bool_], local: Array, cloud: Array, cost: Array
) -> dict[str, float]:
    """Cloud share, quality and mean USD per question of one set of decisions."""
    return {
        "cloud_share": float(to_cloud.mean()),
        "quality": float(np.where(to_cloud, cloud, local).mean()),
        "usd": float(np.where(to_cloud, cost, 0.0).mean()),
    }


def _maybe(value: float | None) -> float:
    return float("nan") if value is None else value


def format_table(result: dict[str, Any]) -> str:
    """The table printed and copied into benchmarks/README.md."""
    lo, hi = result["always_local"], result["always_cloud"]
    fitted = result["artifact"]["data"] or {}
    same = fitted.get("sha256") == result["profile"]["sha256"]
    lines = [
        f"held out: {result['n_held_out']} of {result['profile']['records']} records "
        f"({result['profile']['file']}); the artifact was fitted on "
        f"{fitted.get('file')} ({fitted.get('records')} records, "
        f"{'the same data' if same else 'other data: SHA-256 differs'})",
        "| router | APGR (95% CI) | CPT(50%) | USD/q at CPT(50%) | CPT(80%) | USD/q at CPT(80%) | "
        "AUROC (P(device right)) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["rows"].items():
        auc, ci = row.get("auroc_local"), row.get("apgr_ci")
        interval = f" ({ci[0]:.2f}-{ci[1]:.2f})" if ci else ""
        lines.append(
            f"| {name} | {row['apgr']:.3f}{interval} | {row['cpt50']:.1%} | "
            f"{row['cpt50_usd']:.6f} | {row['cpt80']:.1%} | {row['cpt80_usd']:.6f} | "
            f"{'-' if auc is None else f'{auc:.3f}'} |"
        )
    lines.append(f"| always local | quality {lo['quality']:.1%} | 0% | 0 | | | |")
    lines.append(f"| always cloud | quality {hi['quality']:.1%} | 100% | {hi['usd']:.6f} | | | |")
    lines.append("operating points (the profile's GPT-4 cost; no latency term):")
    for name, point in result["operating_points"].items():
        lines.append(
            f"  {name}: {point['cloud_share']:.1%} to the cloud, {point['quality']:.1%} right, "
            f"${point['usd']:.6f} per question"
        )
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """One PNG: every router's quality against the cloud share, and the two fixed tiers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    styles = {"random": "k--", "oracle": "k:"}
    for name, curve in result["curves"].items():
        label = f"{name} (APGR {result['rows'][name]['apgr']:.2f})"
        ax.plot(curve.share, curve.quality, styles.get(name, "-"), label=label, linewidth=1.4)
    ax.plot([0], [result["always_local"]["quality"]], "bs", label="always local")
    ax.plot([1], [result["always_cloud"]["quality"]], "r^", label="always cloud")
    ax.set_xlabel("share of questions sent to the cloud (GPT-4 stand-in)")
    ax.set_ylabel("share answered right")
    ax.set_title(f"held-out {result['profile']['file']} ({result['n_held_out']} questions)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark: print the table, write the plot and optionally JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", type=Path, default=None, help=".jsonl or .jsonl.gz")
    parser.add_argument(
        "--mt-bench", type=Path, default=None, metavar="ROUTELLM_DIR",
        help="instead: route MT-Bench between kind:edge and kind:cloud (../shared/data/routellm)",
    )  # fmt: skip
    parser.add_argument("--artifact", type=Path, default=DEFAULT_LEARNED)
    parser.add_argument("--cascade", type=Path, default=DEFAULT_CASCADE)
    parser.add_argument("--plot", type=Path, default=ROOT / "benchmarks/out/router_learned.png")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    args = parser.parse_args(argv)
    if args.mt_bench:
        from benchmarks.router_learned_mt_bench import evaluate_mt_bench, format_mt_bench

        print(format_mt_bench(evaluate_mt_bench(args.mt_bench, args.artifact, args.cache)))
        return 0
    if args.profile is None:
        parser.error("pass --profile (a device profile) or --mt-bench ROUTELLM_DIR")
    result = evaluate(args.profile, args.artifact, args.cascade, args.cache)
    print(format_table(result))
    plot(result, args.plot)
    print(f"plot: {args.plot}")
    if args.json:
        rows = {k: v for k, v in result.items() if k != "curves"}
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
