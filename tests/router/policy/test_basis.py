"""The app's one line per policy: what it learned from, or that it runs priors."""

from __future__ import annotations

import json
from pathlib import Path

from router.policy.basis import policy_basis
from router.policy.settings import RoutingSettings
from tests.router.policy.helpers import HAND_SET_QUALITY


def test_the_shipped_quality_model_names_its_data_and_held_out_figures() -> None:
    shipped = json.loads(
        (Path(__file__).parents[3] / "assets" / "routing_learned.json").read_text()
    )
    line = policy_basis("learned", RoutingSettings(policy="local"))
    assert line.startswith(f"quality model fitted on {shipped['data']['file']}")
    device = shipped["held_out"]["local"]["auroc"]
    assert f"device {device:.2f}" in line and "held-out AUROC" in line


def test_a_hand_set_quality_model_is_called_priors() -> None:
    line = policy_basis(
        "learned", RoutingSettings(policy="local", learned_artifact=str(HAND_SET_QUALITY))
    )
    assert line == f"quality model {HAND_SET_QUALITY.name}: hand-set priors, not trained"


def test_an_unreadable_quality_model_is_said_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "router.json"
    bad.write_text("{not json")
    line = policy_basis("learned", RoutingSettings(policy="local", learned_artifact=str(bad)))
    assert line == "quality model router.json cannot be read"


def test_the_cascade_says_whose_threshold_it_uses() -> None:
    fitted = policy_basis("cascade", RoutingSettings(policy="local"))
    assert fitted.startswith("confidence fitted on ") and "held-out AUROC" in fitted
    assert "; fitted threshold " in fitted
    yours = policy_basis("cascade", RoutingSettings(policy="local", cascade_threshold=0.45))
    assert yours.endswith("; your threshold 0.45")


def test_the_budget_planner_says_what_it_was_trained_on(tmp_path: Path) -> None:
    assert policy_basis("budget", RoutingSettings(policy="local")).startswith("planner trained on ")
    missing = RoutingSettings(policy="local", budget_artifact=str(tmp_path / "none.npz"))
    assert policy_basis("budget", missing).startswith("budget planner cannot be read (")


def test_policies_without_an_artifact_have_no_line() -> None:
    for policy in ("local", "prefer_remote", "rules"):
        assert policy_basis(policy, RoutingSettings(policy="local")) == ""
