"""The trained budget planner at run time: its value tables, and reading its `.npz` file.

The planner is trained in `router/learn/` (`budget_plan` solves the tables by
value iteration over the M4A1 simulator, `budget_rl` and `budget_artifact`
train and save it); what the chat needs to act on it lives here, so the
routing policies never import the training code.

`ValueTables.after[i]` is `U_i(L, C)`: the expected score still to come after
turn `i` of a conversation left with `L` seconds and `C` dollars, on a grid
of `LAT_STEP` seconds by `COST_STEP` dollars. Cells floor what is left and
round what an action uses up, so the tables never make a state look richer
than it is; budgets beyond the grid count as its largest value.

File format (`tandem.learn.budget-policy`, read with `allow_pickle=False`):
`meta` (a JSON object as UTF-8 bytes: format, version, budget_state,
mask_cost, reserve_s, reserve_usd, caution, k, actions, training notes),
`w_pair` (8,), `w_state` (9, 11), `memory` (n, 384) float16 unit embeddings
of the training turns and `values` (n, 9, 3) their simulated (score,
latency, cost) per action. Version 2 adds the plan: `plan_after` (5, latency
cells, cost cells) float16, `plan_weight` (5,), `plan_residuals` (9, 40, 2)
latency and cost error quantiles, and meta `plan_margin_s`, `plan_penalty`,
`plan_scale`, `plan_lat_step`, `plan_cost_step`.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError

Array = npt.NDArray[np.float64]
Grid = npt.NDArray[np.float32]
MAX_TURNS = 5
"""M4A1's longest conversation; the tables plan turns 0-4."""
M4A1_MAX_SCORE = 9.0
"""M4A1's top response score: a quality in [0, 1] is a score over this."""
LAT_STEP = 0.5
COST_STEP = 0.0002
RESIDUALS = 40
LAT_MAX = 90.0
COST_MAX = 0.075
PLAN_SCALE = 20.0
"""Inverse temperature of the planned values in the logits (their gaps are ~0.05-0.5)."""
EXPECTED_TURNS_LEFT = (3.5, 2.9, 2.3, 1.7, 1.0)
"""E[turns left, this one included | turn i], i = 0..4, from M4A1's mix of 2-5 turn talks."""
POLICY_FORMAT = "tandem.learn.budget-policy"
POLICY_VERSION = 2
READABLE_VERSIONS = (1, 2)
DEFAULT_PLANNER = Path(__file__).resolve().parents[2] / "assets" / "budget_policy_default.npz"


def predictive(mean: Array, residuals: Array, margin_s: float = 0.0) -> Array:
    """(RESIDUALS, actions, 3) outcome samples: the mean score, mean latency and cost + errors.

    Neighbours alone understate the uncertainty (an action few turns took is
    imputed from the same few, so all neighbours agree); the held-out errors
    do not. `margin_s` more seconds per turn guard against the optimizer's
    curse: the action picked for its short predicted latency is the one most
    likely to have been underestimated.
    """
    out = np.empty((residuals.shape[1], len(mean), 3))
    out[:, :, 0] = mean[None, :, 0]
    out[:, :, 1:] = np.maximum(mean[None, :, 1:3] + residuals.transpose(1, 0, 2), 0.0)
    out[:, :, 1] += margin_s
    return out


def grid_steps(values: Array, step: float) -> npt.NDArray[np.int64]:
    """Grid cells a latency or cost uses up (rounded up: never optimistic)."""
    return np.ceil(np.maximum(values, 0.0) / step - 1e-9).astype(np.int64)


@dataclass
class ValueTables:
    """`after[i]`: U_i on the (latency, cost) grid; see the module docstring."""

    after: Grid
    weight: Array
    penalty: float
    residuals: Array
    margin_s: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        """(latency cells, cost cells)."""
        return int(self.after.shape[1]), int(self.after.shape[2])

    def cell(self, lat_left: float, usd_left: float) -> tuple[int, int]:
        """The grid cell of a state (floored: never richer than it is); negative when over."""
        n_lat, n_usd = self.shape
        lat = min(int(np.floor(lat_left / LAT_STEP + 1e-9)), n_lat - 1)
        usd = min(int(np.floor(usd_left / COST_STEP + 1e-9)), n_usd - 1)
        return lat, usd

    def future(self, turn: int, lat_left: float, usd_left: float, samples: Array) -> Array:
        """(actions,) E[U_turn(L - l, C - c)] over `samples` (n, actions, 3) of (score, l, c)."""
        lat, usd = self.cell(lat_left, usd_left)
        li = lat - grid_steps(samples[:, :, 1], LAT_STEP)
        ci = usd - grid_steps(samples[:, :, 2], COST_STEP)
        ok = (li >= 0) & (ci >= 0)
        table = self.after[min(turn, MAX_TURNS - 1)]
        vals = np.where(ok, table[np.maximum(li, 0), np.maximum(ci, 0)], -self.penalty)
        return np.asarray(vals.mean(axis=0), dtype=np.float64)

    def q_values(
        self,
        turn: int,
        lat_left: float,
        usd_left: float,
        mean: Array,
        residuals: Array | None = None,
    ) -> Array:
        """(actions,) planned value of each action: its score share plus what it leaves.

        `mean`: (actions, >=3) predicted score, latency and cost of each action;
        `residuals`: (actions, RESIDUALS, 2) their error quantiles, when the actions
        are not M4A1's nine (default: the plan's own, one row per M4A1 action).
        """
        w = float(self.weight[min(turn, MAX_TURNS - 1)])
        errors = self.residuals if residuals is None else residuals
        samples = predictive(mean[:, :3], errors, self.margin_s)
        return np.asarray(w * mean[:, 0] + self.future(turn, lat_left, usd_left, samples))


@dataclass
class PlannerFile:
    """What a `tandem.learn.budget-policy` file holds (see the module docstring)."""

    meta: dict[str, Any]
    memory: Array
    values: Array
    w_pair: Array
    w_state: Array
    plan: ValueTables | None = None
    plan_scale: float = PLAN_SCALE


def _plan(meta: dict[str, Any], arrays: dict[str, Array]) -> ValueTables | None:
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


def read_planner(path: str | Path | None, hint: str) -> PlannerFile:
    """Read a planner file (None: the shipped one); a `TandemError` with `hint` if it is bad."""
    file = Path(path).expanduser() if path else DEFAULT_PLANNER
    try:
        with np.load(file, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            arrays = {k: data[k].astype(np.float64) for k in data.files if k != "meta"}
        if meta.get("format") != POLICY_FORMAT or meta.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"not {POLICY_FORMAT} version {READABLE_VERSIONS}")
        return PlannerFile(
            meta=meta,
            memory=arrays["memory"],
            values=arrays["values"],
            w_pair=arrays["w_pair"],
            w_state=arrays["w_state"],
            plan=_plan(meta, arrays),
            plan_scale=float(meta.get("plan_scale", PLAN_SCALE)),
        )
    except FileNotFoundError as exc:
        raise TandemError(f"budget policy {file} does not exist", hint) from exc
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        # A truncated or foreign file: zipfile, numpy and json each fail in their own way.
        raise TandemError(f"budget policy {file} is not readable ({exc})", hint) from exc
