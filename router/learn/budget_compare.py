"""The chat's `budget` policy against the baselines in the M4A1 simulator, at a few budgets.

The protocol of `tandem router sim` (TMO's): the simulator of all of M4A1's
conversations is the environment, and every policy plays all of them. What
each policy knows:

- `budget`: the chat's own policy object (`budget_chat`): per endpoint, the
  rolling measured latency and the prices; per question, the chat's quality
  model; the shipped planner's value tables (trained on all 100 conversations).
- `default`: the same shipped planner on M4A1's nine actions, with its
  nearest-neighbour predictor of each question's outcomes (in-sample here).
- `greedy`: the best predicted score that fits what is left (same predictor).
- `prompt`: the bundled local model's cached yes/no "needs the cloud?" answers.
- `local`, `cloud` (all three views), `cloud_text`, `random`.

`hindsight` is the share of conversations no sequence of actions keeps within
the budget: a floor on any policy's over-budget rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from router.learn import baselines
from router.learn.budget_artifact import load_policy
from router.learn.budget_chat import chat_budget_player
from router.learn.budget_env import Policy, Predictor, evaluate
from router.learn.budget_tune import hindsight_over
from router.learn.m4a1 import Simulator
from router.policy.features import Embedder

SIM_BUDGETS = ((20.0, 0.02), (30.0, 0.05))
"""The budgets issue 19 asks for: a tight one and the default (seconds, USD per conversation)."""
ORDER = ("budget", "default", "greedy", "prompt", "local", "cloud", "cloud_text", "random")


def sim_policies(
    sim: Simulator,
    latency_budget_s: float,
    cost_budget_usd: float,
    decisions: Mapping[str, bool],
    embedder: Embedder | None = None,
) -> dict[str, Policy]:
    """Every policy of the comparison (see the module docstring); `prompt` only with decisions."""
    predictor = Predictor(sim, range(len(sim.conversations)))
    policies: dict[str, Policy] = {
        "budget": chat_budget_player(sim, latency_budget_s, cost_budget_usd, embedder),
        "default": load_policy(),
        "greedy": baselines.greedy(predictor),
        "local": baselines.constant(0),
        "cloud": baselines.constant(baselines.ALL_VIEWS),
        "cloud_text": baselines.constant(1),
        "random": baselines.random_policy,
    }
    if decisions:
        policies["prompt"] = baselines.prompt_policy(decisions, list(predictor.action_cost))
    return policies


def compare(
    sim: Simulator,
    decisions: Mapping[str, bool],
    embedder: Embedder | None = None,
    budgets: Sequence[tuple[float, float]] = SIM_BUDGETS,
    seed: int = 0,
) -> dict[str, Any]:
    """Per budget (`"20s/$0.02"`): the hindsight floor and each policy's `evaluate` row."""
    everything = range(len(sim.conversations))
    out: dict[str, Any] = {}
    for lat, usd in budgets:
        policies = sim_policies(sim, lat, usd, decisions, embedder)
        rows = {name: evaluate(sim, everything, p, lat, usd, seed) for name, p in policies.items()}
        out[f"{lat:g}s/${usd:g}"] = {
            "hindsight_over": hindsight_over(sim, everything, lat, usd),
            "policies": {name: rows[name] for name in ORDER if name in rows},
        }
    return out


def markdown(result: Mapping[str, Any]) -> list[str]:
    """One markdown table per budget: score, latency, cost, over-budget rate, cloud share, n."""
    lines: list[str] = []
    for key, block in result.items():
        lines += [
            f"{key} (hindsight floor on over-budget: {block['hindsight_over']:.0%})",
            "",
            "| policy | score (0-9) | latency s | cost USD | over budget | cloud turns | n |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, r in block["policies"].items():
            lines.append(
                f"| {name} | {r['score']:.3f} | {r['latency_s']:.1f} | {r['cost_usd']:.4f} | "
                f"{r['over_budget_rate']:.0%} | {r['cloud_share']:.0%} | {r['n']} |"
            )
        lines.append("")
    return lines
