"""L2-penalised logistic regression in numpy, with the penalty chosen by cross-validation.

Fitted by Newton's method on standardised features (each column centred and
scaled to unit variance on the rows it is fitted on; the intercept is not
shrunk), then written back on the raw scale, so a caller applies
`sigmoid(bias + x . weights)` to raw features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from router.policy.trained_router import sigmoid

Array = npt.NDArray[np.float64]

L2_GRID: tuple[float, ...] = tuple(float(v) for v in np.logspace(-1, 4, 11))
"""The penalties cross-validation chooses from (0.1 to 10,000, 11 steps): a prior range;
which one is used is learned."""


def newton_logistic(x: Array, y: Array, l2: float, start: Array | None = None) -> Array:
    """Weights (intercept first) of an L2-penalised logistic regression; x has a ones column.

    `start`: initial weights (a nearby solution converges in fewer steps).
    """
    w = np.zeros(x.shape[1]) if start is None else start.copy()
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    for _ in range(50):
        p = sigmoid(x @ w)
        grad = x.T @ (p - y) + penalty * w
        hess = (x.T * (p * (1 - p))) @ x + np.diag(penalty) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w = w - step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w


def log_loss(p: Array, y: Array) -> float:
    """Mean negative log-likelihood of 0/1 labels `y` under probabilities `p`."""
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def brier(p: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean squared error of probabilities against 0/1 outcomes."""
    diff = np.asarray(p, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return float(np.mean(diff**2))


@dataclass(frozen=True)
class _Basis:
    """Standardised features in an orthonormal basis of their row space.

    The penalised solution lies in the span of the standardised rows (its
    gradient condition reads w = -X'(p - y) / l2), so fitting coefficients on
    the singular vectors gives the same model with min(rows, columns)
    unknowns: fast when there are fewer prompts than embedding dimensions.
    """

    mean: Array
    scale: Array
    design: Array
    """Ones column, then U * S: the rows in the basis."""
    basis: Array
    """V: columns (standardised feature space) x rank."""

    @classmethod
    def of(cls, x: Array) -> _Basis:
        """The basis of `x`'s standardised rows, from the smaller of its two Gram matrices."""
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        z = (x - mean) / scale
        wide = z.shape[0] <= z.shape[1]
        values, vectors = np.linalg.eigh(z @ z.T if wide else z.T @ z)
        keep = values > 1e-10 * max(float(values.max(initial=0.0)), 1e-300)
        basis = (z.T @ vectors[:, keep]) / np.sqrt(values[keep]) if wide else vectors[:, keep]
        design = np.column_stack([np.ones(len(x)), z @ basis])
        return cls(mean, scale, design, basis)

    def raw(self, coefficients: Array) -> tuple[float, Array]:
        """(bias, weights) on the raw features from coefficients on `design`."""
        weights = (self.basis @ coefficients[1:]) / self.scale
        return float(coefficients[0] - weights @ self.mean), weights


def fit_logistic(x: Array, y: Array, l2: float) -> tuple[float, Array]:
    """(bias, raw-scale weights) of the penalised fit on standardised `x`.

    A column that does not vary gets weight 0 (its standardised values are all 0).
    """
    basis = _Basis.of(x)
    return basis.raw(newton_logistic(basis.design, y, l2))


@dataclass(frozen=True)
class L2Choice:
    """The penalty cross-validation chose, and the mean held-out log loss of each tried."""

    l2: float
    grid: tuple[float, ...]
    losses: tuple[float, ...]


def choose_l2(
    x: Array, y: Array, folds: npt.NDArray[np.int64], grid: Sequence[float] = L2_GRID
) -> L2Choice:
    """The penalty with the lowest mean log loss over the folds (each fold held out once).

    `folds[i]` is row i's fold. Each fold is scored by a fit on the other
    folds; ties go to the larger penalty (the simpler model).
    """
    totals = dict.fromkeys(grid, 0.0)
    for fold in np.unique(folds):
        test = folds == fold
        basis = _Basis.of(x[~test])
        coefficients = None
        for l2 in sorted(grid, reverse=True):  # each fit starts from the more penalised one
            coefficients = newton_logistic(basis.design, y[~test], l2, coefficients)
            bias, weights = basis.raw(coefficients)
            loss = log_loss(sigmoid(bias + x[test] @ weights), y[test])
            totals[l2] += loss * int(test.sum())
    losses = [totals[l2] / len(y) for l2 in grid]
    best = min(range(len(grid)), key=lambda i: (round(losses[i], 12), -grid[i]))
    return L2Choice(l2=float(grid[best]), grid=tuple(grid), losses=tuple(losses))
