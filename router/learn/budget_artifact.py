"""Budget policies as versioned `.npz` files (format `tandem.learn.budget-policy`).

The format is described in router/policy/budget_planner.py, which reads it
(the chat's `budget` policy loads the plan from there); here a policy is
written, and read back with its predictor for the simulator. Version 1 files
(no plan) still load and act as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.learn.budget_env import Predictor
from router.learn.budget_policy import BudgetPolicy
from router.learn.m4a1 import ACTIONS
from router.policy.budget_planner import (
    COST_STEP,
    DEFAULT_PLANNER,
    LAT_STEP,
    POLICY_FORMAT,
    POLICY_VERSION,
    READABLE_VERSIONS,
    read_planner,
)

__all__ = ["POLICY_FORMAT", "POLICY_VERSION", "READABLE_VERSIONS", "load_policy", "save_policy"]
Array = npt.NDArray[np.float64]


def save_policy(policy: BudgetPolicy, path: str | Path) -> Path:
    """Write a `tandem.learn.budget-policy` .npz (weights, predictor memory, plan)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(
        policy.meta,
        format=POLICY_FORMAT,
        version=POLICY_VERSION,
        budget_state=policy.budget_state,
        mask_cost=policy.mask_cost,
        reserve_s=policy.reserve_s,
        reserve_usd=policy.reserve_usd,
        caution=policy.caution,
        k=policy.predictor.k,
        actions=[f"{r}:{','.join(map(str, v))}" for r, v in ACTIONS],
    )
    arrays: dict[str, Any] = {
        "w_pair": policy.w_pair,
        "w_state": policy.w_state,
        "memory": policy.predictor.memory.astype(np.float16),
        "values": policy.predictor.values.astype(np.float32),
    }
    if policy.plan is not None:
        meta.update(
            plan_penalty=policy.plan.penalty,
            plan_margin_s=policy.plan.margin_s,
            plan_scale=policy.plan_scale,
            plan_lat_step=LAT_STEP,
            plan_cost_step=COST_STEP,
        )
        arrays["plan_after"] = policy.plan.after.astype(np.float16)
        arrays["plan_weight"] = policy.plan.weight
        arrays["plan_residuals"] = policy.plan.residuals
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with file.open("wb") as handle:
        np.savez_compressed(handle, meta=blob, **arrays)
    return file


class _StoredPredictor(Predictor):
    """A predictor rebuilt from an artifact's memory (no simulator needed)."""

    def __init__(self, memory: Array, values: Array, k: int) -> None:
        self.rows = np.full(len(memory), -1, dtype=np.int64)
        self.memory = memory
        self.values = values
        self.k = min(k, len(memory))
        self.action_cost = values[:, :, 2].mean(axis=0)


def load_policy(path: str | Path | None = None, hint: str | None = None) -> BudgetPolicy:
    """Read a budget policy artifact (default: the shipped one); `TandemError` if bad.

    `hint` replaces the error's advice (the chat's says which config key to fix).
    """
    hint = hint or "train one with `tandem router report --write-assets`, or use `--policy default`"
    file = Path(path).expanduser() if path else DEFAULT_PLANNER
    stored = read_planner(file, hint)
    meta = stored.meta
    try:
        return BudgetPolicy(
            _StoredPredictor(stored.memory, stored.values, int(meta["k"])),
            budget_state=bool(meta["budget_state"]),
            mask_cost=bool(meta["mask_cost"]),
            reserve_s=float(meta.get("reserve_s", 0.0)),
            reserve_usd=float(meta.get("reserve_usd", 0.0)),
            caution=float(meta.get("caution", 0.0)),
            w_pair=stored.w_pair,
            w_state=stored.w_state,
            meta=meta,
            plan=stored.plan,
            plan_scale=stored.plan_scale,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TandemError(f"budget policy {file} is not readable ({exc!r})", hint) from exc
