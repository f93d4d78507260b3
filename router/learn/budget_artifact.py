"""Budget policies as versioned `.npz` files (format `tandem.learn.budget-policy`).

Read with `allow_pickle=False`. Entries: `meta` (a JSON object as UTF-8 bytes:
format, version, budget_state, mask_cost, reserve_s, reserve_usd, caution, k,
actions, training notes), `w_pair` (8,), `w_state` (9, 11), and the predictor's
memory: `memory` (n, 384) float16 unit embeddings of the training turns and
`values` (n, 9, 3) their simulated (score, latency, cost) per action.

Version 2 adds the plan (`budget_plan`): `plan_after` (5, latency cells, cost
cells) float16 value tables, `plan_weight` (5,), `plan_residuals` (9, 20, 2)
latency and cost error quantiles, and meta `plan_margin_s`, `plan_penalty`,
`plan_scale`, `plan_lat_step`, `plan_cost_step`. Version 1 files (no plan)
still load and act as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.learn.budget_env import Predictor
from router.learn.budget_plan import COST_STEP, LAT_STEP, ValueTables
from router.learn.budget_policy import DEFAULT_POLICY, PLAN_SCALE, BudgetPolicy
from router.learn.m4a1 import ACTIONS

Array = npt.NDArray[np.float64]
POLICY_FORMAT = "tandem.learn.budget-policy"
POLICY_VERSION = 2
READABLE_VERSIONS = (1, 2)


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


def _plan(meta: dict[str, object], arrays: dict[str, Array]) -> ValueTables | None:
    if "plan_after" not in arrays:
        return None
    if meta.get("plan_lat_step") != LAT_STEP or meta.get("plan_cost_step") != COST_STEP:
        raise ValueError("its plan uses another grid than this version of Tandem")
    return ValueTables(
        after=arrays["plan_after"].astype(np.float32),
        weight=arrays["plan_weight"],
        penalty=float(str(meta["plan_penalty"])),
        residuals=arrays["plan_residuals"],
        margin_s=float(str(meta.get("plan_margin_s", 0.0))),
    )


def load_policy(path: str | Path | None = None) -> BudgetPolicy:
    """Read a budget policy artifact (default: the shipped one); `TandemError` if bad."""
    file = Path(path).expanduser() if path else DEFAULT_POLICY
    hint = "train one with `tandem router report --write-assets`, or use `--policy default`"
    try:
        with np.load(file, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            arrays = {k: data[k].astype(np.float64) for k in data.files if k != "meta"}
        if meta.get("format") != POLICY_FORMAT or meta.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"not {POLICY_FORMAT} version {READABLE_VERSIONS}")
        predictor = _StoredPredictor(arrays["memory"], arrays["values"], int(meta["k"]))
        return BudgetPolicy(
            predictor,
            budget_state=bool(meta["budget_state"]),
            mask_cost=bool(meta["mask_cost"]),
            reserve_s=float(meta.get("reserve_s", 0.0)),
            reserve_usd=float(meta.get("reserve_usd", 0.0)),
            caution=float(meta.get("caution", 0.0)),
            w_pair=arrays["w_pair"],
            w_state=arrays["w_state"],
            meta=meta,
            plan=_plan(meta, arrays),
            plan_scale=float(meta.get("plan_scale", PLAN_SCALE)),
        )
    except FileNotFoundError as exc:
        raise TandemError(f"budget policy {file} does not exist", hint) from exc
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise TandemError(f"budget policy {file} is not readable ({exc})", hint) from exc
