"""The goal table printed by `tandem router report`, from its JSON summary."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.learn.embed_cache import EmbeddingCache
from router.learn.report import (
    DEFAULT_BUDGET,
    ROUTELLM_PUBLISHED,
    UNSEEN_BUDGETS,
    sequential,
    single_turn,
    train_defaults,
)

KIND_ORDER = ("logistic", "mlp", "mf", "knn", "random")
POLICY_ORDER = (
    "rl_budget", "greedy", "prompt", "rl_no_budget", "local", "cloud", "cloud_text", "random",
)  # fmt: skip


def _single_rows(name: str, rows: dict[str, Any], domain: str) -> list[str]:
    lines = [f"{name} ({domain}, n={rows['n']})"]
    for kind in KIND_ORDER:
        if kind in rows:
            r = rows[kind]
            lines.append(
                f"  {kind:9s} APGR {r['apgr']:.3f}  CPT50 {r['cpt50']:.1%}  "
                f"CPT80 {r['cpt80']:.1%}  calls@95%GPT-4 {r['share_95pct_strong']:.1%}"
            )
    return lines


def format_table(summary: dict[str, Any]) -> str:
    """Plain-text goal table: single-turn metrics, M4A1 per budget, time and latency."""
    lines = ["== Single-turn routing (RouteLLM data, contaminated prompts dropped) =="]
    single = summary.get("single_turn", {})
    for key, rows in single.items():
        bench, how = key.split("/", 1)
        domain = "in-domain, 5-fold" if how == "in_domain" else "cross-dataset: " + how
        lines += _single_rows(bench, rows, domain)
        if bench in ROUTELLM_PUBLISHED and (how != "in_domain" or bench != "mt_bench"):
            lines.append(f"  RouteLLM published: {ROUTELLM_PUBLISHED[bench]}")
    cross = single.get("mt_bench/cross_from_mmlu_gsm8k", {})
    for kind in KIND_ORDER:
        if kind in cross and "decision_ms" in cross[kind]:
            r = cross[kind]
            lines.append(
                f"{kind}: trained on {cross['n_train']} prompts in {r['train_seconds']:.1f} s; "
                f"decision median {r['decision_ms']['median_ms']:.3f} ms, "
                f"p99 {r['decision_ms']['p99_ms']:.3f} ms (embedding given)"
            )
    seq = summary.get("sequential", {})
    if seq:
        lines.append("== M4A1 sequential routing (5-fold over conversations, held-out) ==")
        for lat, usd in (DEFAULT_BUDGET, *UNSEEN_BUDGETS):
            key = f"{lat:g}s/${usd:g}"
            tag = "default" if (lat, usd) == DEFAULT_BUDGET else "unseen"
            lines.append(f"budget {key} ({tag})")
            for name in POLICY_ORDER:
                r = seq[key].get(name)
                if r:
                    lines.append(
                        f"  {name:12s} score {r['score']:.3f}  latency {r['latency_s']:5.1f} s  "
                        f"cost ${r['cost_usd']:.4f}  over budget {r['over_budget_rate']:.0%}  "
                        f"cloud {r['cloud_share']:.0%}  views/turn {r['views_per_turn']:.2f}"
                    )
        t = seq["training"]
        lines.append(
            f"RL training per fold: {t['rl_train_seconds_mean']:.1f} s with budget state "
            f"(incl. shield tuning), {t['rl_no_budget_train_seconds_mean']:.1f} s without"
        )
        p = seq["prompt_decisions"]
        lines.append(
            f"prompt router: {p['questions_decided']}/{p['questions']} questions decided by the "
            f"local model, {p['said_cloud']} said cloud"
        )
    defaults = summary.get("defaults")
    if defaults:
        lat = defaults["decision_latency"]
        lines.append(
            f"default router: {defaults['router_bytes']} bytes, trained in "
            f"{defaults['router_train_seconds']:.1f} s; decision latency median "
            f"{lat['median_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms (embedding given)"
        )
        lines.append(
            f"default budget policy: {defaults['policy_bytes']} bytes, trained in "
            f"{defaults['policy_train_seconds']:.1f} s"
        )
    lines.append(f"total wall time: {summary.get('seconds', 0.0):.1f} s")
    return "\n".join(lines)


def run_report(
    data_dir: Path,
    out: Path,
    *,
    cache_dir: Path | None = None,
    assets: Path | None = None,
    parts: tuple[str, ...] = ("single", "sequential"),
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train and evaluate, write `summary.json` and plots under `out`; optionally the assets."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(cache_dir=cache_dir)
    summary: dict[str, Any] = {}
    if "single" in parts:
        summary["single_turn"] = single_turn(data_dir / "routellm", cache, out, log)
    if "sequential" in parts:
        summary["sequential"] = sequential(data_dir / "m4a1" / "M4A1.json", cache, out, log)
    if assets is not None:
        summary["defaults"] = train_defaults(
            data_dir / "routellm", data_dir / "m4a1" / "M4A1.json", cache, assets, log
        )
    summary["seconds"] = time.perf_counter() - started
    (out / "summary.json").write_text(json.dumps(summary, indent=2), "utf-8")
    return summary
