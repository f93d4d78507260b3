"""What each routing policy rests on, in one line the app can show beside it.

The `learned`, `cascade` and `budget` policies read artifacts that were either
fitted by a script in the repository (they record their data, split and
held-out figures) or set by hand. The app must say which, and how good a
fitted one was on held-out data, without the user opening the files; a number
set by hand is called a prior. Reading never raises: a file that cannot be read
is said to be so, since the policy itself reports the error when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from router.errors import TandemError
from router.policy.budget import load_planner
from router.policy.cascade_artifact import DEFAULT_CASCADE, shipped_calibration
from router.policy.factory import cascade_threshold
from router.policy.learned import DEFAULT_LEARNED
from router.policy.settings import RoutingSettings

_TIER_NAMES = {"local": "device", "mixtral": "edge", "gpt-4": "cloud"}
"""How a profile's endpoints read in the app (the profile's stand-ins for each tier)."""


def policy_basis(policy: str, settings: RoutingSettings) -> str:
    """One line: what `policy` learned from and its held-out figure, or that it runs priors."""
    describe = {"learned": _learned, "cascade": _cascade, "budget": _budget}.get(policy)
    return describe(settings) if describe else ""


def _read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when it cannot be read as one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _learned(settings: RoutingSettings) -> str:
    """The quality model: fitted on which profile, with held-out AUROC per tier."""
    path = Path(settings.learned_artifact).expanduser() if settings.learned_artifact else None
    file = path or DEFAULT_LEARNED
    data = _read_json(file)
    if data is None:
        return f"quality model {file.name} cannot be read"
    if not data.get("trained"):
        return f"quality model {file.name}: hand-set priors, not trained"
    held_out = data.get("held_out") if isinstance(data.get("held_out"), dict) else {}
    figures = [
        f"{_TIER_NAMES.get(name, name)} {stats['auroc']:.2f}"
        for name, stats in (held_out or {}).items()
        if isinstance(stats, dict) and isinstance(stats.get("auroc"), int | float)
    ]
    source = data.get("data") if isinstance(data.get("data"), dict) else {}
    text = f"quality model fitted on {(source or {}).get('file', 'a profile')}"
    return text + (f"; held-out AUROC {', '.join(figures)}" if figures else "")


def _cascade(settings: RoutingSettings) -> str:
    """The cascade's confidence (fitted or prior) and where its threshold comes from."""
    threshold, source = cascade_threshold(settings)
    data = _read_json(DEFAULT_CASCADE) if shipped_calibration() is not None else None
    auroc = (data or {}).get("auroc")
    held_out = auroc.get("held_out") if isinstance(auroc, dict) else None
    if data is None or not isinstance(held_out, int | float):
        confidence = "confidence from priors, not fitted"
    else:
        source_data = data.get("data") if isinstance(data.get("data"), dict) else {}
        name = (source_data or {}).get("file", "a profile")
        confidence = f"confidence fitted on {name}, held-out AUROC {held_out:.2f}"
    owner = {"your setting": "your", "fitted": "fitted", "prior": "prior"}.get(source, source)
    return f"{confidence}; {owner} threshold {threshold:g}"


def _budget(settings: RoutingSettings) -> str:
    """The planner's training note (its held-out figures are in benchmarks/README.md)."""
    try:
        planner = load_planner(settings.budget_artifact)
    except TandemError as exc:
        return f"budget planner cannot be read ({exc.message})"
    note = str(planner.meta.get("note", "")).strip()
    return f"planner {note}" if note else "planner without a training note"
