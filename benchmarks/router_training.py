"""Train and evaluate Tandem's routers on the public data and print the goal table.

Same as `tandem router report`; see benchmarks/README.md.

    .venv/bin/python benchmarks/router_training.py                    # everything
    .venv/bin/python benchmarks/router_training.py --write-assets     # also refresh assets/
    .venv/bin/python benchmarks/router_training.py --only sequential  # M4A1 only
    .venv/bin/python benchmarks/router_training.py --knn-latency      # kNN decision latency
    .venv/bin/python benchmarks/router_training.py --cross-dataset    # MMLU+GSM8K -> MT-Bench
    .venv/bin/python benchmarks/router_training.py --cross-dataset --write-router

`--cross-dataset` prints the cross-dataset table of `router.learn.cross_report`
(label audit, every target and kind on held-out topics of the training data,
in-domain held-out APGR, MT-Bench APGR with 95% bootstrap intervals and the
paired difference to the router shipped before) and writes it as JSON to
`--out` (default benchmarks/out/router/cross_dataset.json). `--write-router`
then trains the shipped `assets/router_default.npz` with the kind selected on
held-out topics, recording data, seed, command and the figures in its meta.

`--knn-latency` trains the kNN router on MMLU + GSM8K (contaminated prompts
dropped), scores MT-Bench with it (cross-dataset APGR), and times one `route`
call per prompt (embedding given, cheap features included) against the float64
kNN it replaced, computed here in the same run on the same router. It prints
median and p99 per decision (wall clock, and the thread's CPU time, which
leaves out time spent waiting for a core on a busy machine), the share of
decisions over 1 ms, their ratio, and both APGRs (they must agree).
The M4A1 budget benchmark is benchmarks/m4a1_budget.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.cli import main  # noqa: E402


def _float64_knn(router: object, embedding: np.ndarray, prompt: str) -> float:
    """The previous kNN scoring (float64 memory, (1, r) x (r, n) product): the baseline."""
    from router.policy.trained_router import Router

    assert isinstance(router, Router)
    a = router.arrays
    x = router.inputs(np.atleast_2d(embedding), [prompt])
    q = x @ np.asarray(a["P"], dtype=np.float64)
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    memory = a.get("_memory64")
    if memory is None:
        memory = np.asarray(a["memory"], dtype=np.float64)
        router.arrays = {**a, "_memory64": memory}
    sims = q @ memory.T
    k = min(int(router.meta["k"]), sims.shape[1])
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return float((1.0 + a["gap"][nearest].mean(axis=1))[0] / 2.0)


def knn_latency(rounds: int = 3) -> int:
    """Time kNN decisions, new against the float64 baseline, interleaved; print a table."""
    from router.learn.datasets import STRONG, WEAK
    from router.learn.embed_cache import EmbeddingCache
    from router.learn.metrics import routing_curve, summary
    from router.learn.report import bench_data, concat
    from router.learn.train import train_router

    cache = EmbeddingCache()
    root = ROOT.parent / "shared" / "data" / "routellm"
    train = concat([bench_data(root, b, cache) for b in ("gsm8k", "mmlu")])
    test = bench_data(root, "mt_bench", cache)
    started = time.perf_counter()
    router = train_router(train, "knn", STRONG, WEAK)
    train_s = time.perf_counter() - started
    new_scores = router.score(test.embeddings, test.prompts)
    old_scores = np.array(
        [_float64_knn(router, e, p) for e, p in zip(test.embeddings, test.prompts, strict=True)]
    )
    apgr = {}
    for name, scores in (("float32 (now)", new_scores), ("float64 (before)", old_scores)):
        curve = routing_curve(
            scores, test.weak_quality, test.strong_quality, test.weak_cost, test.strong_cost
        )
        apgr[name] = summary(curve)["apgr"]
    times: dict[str, list[float]] = {"float32 (now)": [], "float64 (before)": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    n = min(500, len(train.prompts))
    for _ in range(rounds):
        for i in range(n):
            for name in times:
                e, p = train.embeddings[i], train.prompts[i]
                t0, c0 = time.perf_counter(), time.thread_time()
                if name == "float32 (now)":
                    router.route(e, p)
                else:
                    _float64_knn(router, e, p)
                times[name].append((time.perf_counter() - t0) * 1000.0)
                cpu[name].append((time.thread_time() - c0) * 1000.0)
    print(f"kNN router: {len(train.prompts)} reference prompts, trained in {train_s:.1f} s")
    print(
        f"{'path':18s} {'median_ms':>9s} {'p99_ms':>8s} {'>1ms':>6s} "
        f"{'cpu_median':>10s} {'cpu_p99':>8s} {'MT-Bench APGR':>13s}"
    )
    for name, ms in times.items():
        c = cpu[name]
        print(
            f"{name:18s} {np.median(ms):9.3f} {np.percentile(ms, 99):8.3f} "
            f"{np.mean(np.array(ms) > 1.0):6.1%} {np.median(c):10.3f} {np.percentile(c, 99):8.3f} "
            f"{apgr[name]:13.3f}"
        )
    new, old = times["float32 (now)"], times["float64 (before)"]
    print(
        f"ratio now/before: median {np.median(new) / np.median(old):.2f}, "
        f"p99 {np.percentile(new, 99) / np.percentile(old, 99):.2f} "
        f"({len(new)} decisions each, interleaved)"
    )
    return 0


def cross_dataset(argv: list[str]) -> int:
    """Print the cross-dataset table; with --write-router, retrain the shipped router."""
    import argparse
    import json

    from router.learn.cross_dataset import train_default
    from router.learn.cross_report import format_cross, load_benchmarks, run_cross
    from router.learn.embed_cache import EmbeddingCache
    from router.policy.trained_router import DEFAULT_ROUTER, save_router

    parser = argparse.ArgumentParser(prog="router_training.py --cross-dataset")
    parser.add_argument("--cross-dataset", action="store_true")
    parser.add_argument("--write-router", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "router")
    args = parser.parse_args(argv)
    root = args.data_dir / "routellm"
    cache = EmbeddingCache(cache_dir=args.cache)
    started = time.perf_counter()
    result = run_cross(root, cache, log=lambda line: print(line, file=sys.stderr))
    print(format_cross(result))
    print(f"total wall time: {time.perf_counter() - started:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cross_dataset.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    if args.write_router:
        train, topics = load_benchmarks(root, ("gsm8k", "mmlu"), cache)
        target = result["selected"].split("/")[0]
        figures = {
            name.split("/")[1]: row["weak_failures_first"]
            for name, row in result["held_out_topics"].items()
            if name.startswith(target + "/")
        }
        router = train_default(
            train, topics, selection=figures,
            command="python benchmarks/router_training.py --cross-dataset --write-router",
            note="trained on RouteLLM's GSM8K + MMLU outcomes (Mixtral weak, GPT-4 strong), "
            "target weak_failure, kind chosen on held-out topics",
        )  # fmt: skip
        mt = result["mt_bench"][result["selected"]]
        router.meta.update(
            data=["routellm/gsm8k_responses.csv", "routellm/mmlu/*.csv"],
            contaminated_dropped=True,
            held_out={
                "in_domain_random_5fold": result["in_domain"][result["selected"]],
                "mt_bench_apgr": [mt["apgr"], mt["apgr_low"], mt["apgr_high"]],
            },
        )
        print(f"wrote {save_router(router, DEFAULT_ROUTER)} ({router.kind})")
    return 0


if __name__ == "__main__":
    if "--knn-latency" in sys.argv[1:]:
        sys.exit(knn_latency())
    if "--cross-dataset" in sys.argv[1:]:
        sys.exit(cross_dataset(sys.argv[1:]))
    sys.exit(main(["router", "report", *sys.argv[1:]]))
