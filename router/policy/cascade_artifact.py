"""The fitted cascade: a confidence model and an escalation threshold (`tandem.cascade`).

`tandem router fit-cascade` (router/learn/fit_cascade.py) writes the artifact
from a device profile; the app ships it as `assets/routing_cascade.json`. It
holds a logistic model of P(the device's answer is right) over the same
signals as the hand-set prior in router/policy/confidence.py (mean token
log-prob, mean entropy, sample agreement), the threshold chosen on the
training split, and how it was made (data file and SHA-256, split, seed,
command, date, held-out AUROC).

A missing artifact means the priors; a malformed one is named once in the log
and the priors are used: a bad file never stops a chat.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.errors import TandemError

FORMAT = "tandem.cascade"
DEFAULT_CASCADE = Path(__file__).resolve().parents[2] / "assets" / "routing_cascade.json"
_log = logging.getLogger(__name__)


class CascadeArtifactError(TandemError):
    """A cascade artifact that cannot be read or does not follow the format."""


@dataclass(frozen=True)
class ConfidenceModel:
    """score = sigmoid(intercept + w_lp * mean_logprob + w_h * mean_entropy + w_a * agreement).

    With one sample there is no agreement: the training mean (`agreement_if_missing`) stands in.
    """

    intercept: float
    w_logprob: float
    w_entropy: float
    w_agreement: float
    agreement_if_missing: float
    source: str = "fitted"

    def score(self, mean_logprob: float, mean_entropy: float, agreement: float | None) -> float:
        """P(the answer is right) from the answer's signals."""
        agree = self.agreement_if_missing if agreement is None else agreement
        z = (
            self.intercept
            + self.w_logprob * mean_logprob
            + self.w_entropy * mean_entropy
            + self.w_agreement * agree
        )
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_json(self) -> dict[str, Any]:
        """The model's parameters as the artifact's `confidence` object."""
        return {
            "intercept": self.intercept,
            "weights": {
                "mean_logprob": self.w_logprob,
                "mean_entropy": self.w_entropy,
                "agreement": self.w_agreement,
            },
            "agreement_if_missing": self.agreement_if_missing,
        }


@dataclass(frozen=True)
class CascadeCalibration:
    """What the cascade runs: the fitted confidence, the threshold, and its held-out AUROC."""

    model: ConfidenceModel
    threshold: float
    auroc_held_out: float | None
    path: Path


def _number(
    data: dict[str, Any], key: str, low: float = -math.inf, high: float = math.inf
) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"'{key}' must be a finite number, got {value!r}")
    if not low <= float(value) <= high:
        raise ValueError(f"'{key}' must be in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"'{key}' must be an object")
    return value


def parse_calibration(data: object, path: Path) -> CascadeCalibration:
    """Validate a decoded artifact; `ValueError` says what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a '{FORMAT}' artifact (no matching 'format')")
    conf = _object(data, "confidence")
    weights = _object(conf, "weights")
    model = ConfidenceModel(
        intercept=_number(conf, "intercept"),
        w_logprob=_number(weights, "mean_logprob"),
        w_entropy=_number(weights, "mean_entropy"),
        w_agreement=_number(weights, "agreement"),
        agreement_if_missing=_number(conf, "agreement_if_missing", 0.0, 1.0),
    )
    auroc = data.get("auroc")
    held_out = auroc.get("held_out") if isinstance(auroc, dict) else None
    return CascadeCalibration(
        model=model,
        threshold=_number(data, "threshold", 0.0, 1.0),
        auroc_held_out=float(held_out) if isinstance(held_out, int | float) else None,
        path=path,
    )


def load_calibration(path: str | Path) -> CascadeCalibration:
    """Read a cascade artifact; `CascadeArtifactError` names the file and the problem."""
    file = Path(path)
    hint = "re-create it with `tandem router fit-cascade`, or delete it to use the priors"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return parse_calibration(data, file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise CascadeArtifactError(f"cannot use cascade artifact {file}: {exc}", hint) from exc


@functools.lru_cache(maxsize=4)
def shipped_calibration(path: Path = DEFAULT_CASCADE) -> CascadeCalibration | None:
    """The shipped fitted cascade, or None (the priors) when it is absent or malformed.

    Cached: a malformed file is reported once in the log, not on every turn.
    """
    if not path.exists():
        return None
    try:
        return load_calibration(path)
    except CascadeArtifactError as exc:
        _log.warning("%s; the cascade uses its priors", exc)
        return None
