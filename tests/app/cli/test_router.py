"""`tandem router convert|train|eval|sim|profile` on small generated files."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.cli.router import run_router
from app.cli.router_profile import _profile
from router.endpoints.fake import FakeEndpoint
from router.learn.profile import load_profile
from router.privacy.guard import EgressPolicy
from router.privacy.scan import Scanner
from router.types import Message
from tests.router.learn.synthetic import write_m4a1
from tests.support.pipeline import make_pipeline

PRIVACY = {"scanner": Scanner(), "egress": EgressPolicy()}
"""The privacy path `_profile` takes (the default rules; tests/app/cli/test_router_profile.py)."""
WEAK_COL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG_COL = "gpt-4-1106-preview"


def _routellm(root: Path) -> Path:
    """A tiny routellm/ folder: GSM8K with hard (long) and easy prompts, one MMLU subject."""
    base = root / "routellm"
    (base / "mmlu").mkdir(parents=True)
    with (base / "gsm8k_responses.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt", WEAK_COL, STRONG_COL, "w_response", "s_response"])
        for i in range(40):
            hard = i % 2 == 0
            prompt = (
                f"A train leaves at {i} km/h and another at {i + 3} km/h; when do they meet?"
                if hard
                else f"Say hello number {i}."
            )
            writer.writerow([prompt, str(not hard), "True", "x", "y"])
    with (base / "mmlu" / "mmlu_toy.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt", WEAK_COL, STRONG_COL])
        writer.writerow(["Q?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer:", "True", "False"])
    (base / "gsm8k_contaminated_prompts.jsonl").write_text(
        json.dumps({"eval_prompt": "Say hello number 1."}) + "\n"
    )
    return root


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = _routellm(tmp_path / "data")
    (root / "m4a1").mkdir()
    write_m4a1(root / "m4a1" / "M4A1.json", conversations=10)
    return root


def _run(*argv: str) -> tuple[int, str]:
    args = build_parser().parse_args(["router", *argv])
    out = io.StringIO()
    code = run_router(args, out)
    return code, out.getvalue()


def test_convert_train_eval_json_keys(data_dir: Path, tmp_path: Path) -> None:
    profile = tmp_path / "gsm8k.jsonl"
    code, text = _run("convert", "gsm8k", "--data-dir", str(data_dir), "--out", str(profile))
    assert code == 0 and "wrote 39 records" in text  # one contaminated prompt dropped
    records = load_profile(profile)
    assert set(records[0].endpoints) == {"gpt-4", "mixtral"}
    cache = tmp_path / "cache"
    artifact = tmp_path / "r.npz"
    code, text = _run(
        "train", "--data", str(profile), "--strong", "gpt-4", "--weak", "mixtral",
        "--out", str(artifact), "--kind", "knn", "--cache", str(cache), "--target-share", "0.4",
    )  # fmt: skip
    assert code == 0 and artifact.exists() and "40% strong calls" in text
    code, text = _run(
        "eval", "--router", str(artifact), "--data", str(profile), "--json", "--cache", str(cache)
    )
    result = json.loads(text)
    assert {"apgr", "cpt50", "cpt80", "n"} <= set(result)
    assert result["n"] == 39
    assert result["apgr"] > 0.5  # length and digits tell the hard prompts apart


@pytest.mark.parametrize("kind", ["mf", "mlp"])
def test_train_other_kinds(data_dir: Path, tmp_path: Path, kind: str) -> None:
    profile = tmp_path / "p.jsonl"
    _run("convert", "gsm8k", "--data-dir", str(data_dir), "--out", str(profile))
    code, _ = _run(
        "train", "--data", str(profile), "--strong", "gpt-4", "--weak", "mixtral",
        "--out", str(tmp_path / "r.npz"), "--kind", kind, "--cache", str(tmp_path / "c"),
    )  # fmt: skip
    assert code == 0


def test_train_with_unknown_endpoint_fails_clearly(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "p.jsonl"
    _run("convert", "mmlu", "--data-dir", str(data_dir), "--out", str(profile))
    code = main(
        ["router", "train", "--data", str(profile), "--strong", "opus", "--weak", "mixtral",
         "--out", str(tmp_path / "r.npz")]
    )  # fmt: skip
    assert code == 2
    assert "no record in the profile has both 'opus' and 'mixtral'" in capsys.readouterr().err


@pytest.mark.parametrize("policy", ["local", "cloud", "random", "greedy", "default", "budget"])
def test_sim_json_keys(data_dir: Path, tmp_path: Path, policy: str) -> None:
    code, text = _run(
        "sim", "--data", str(data_dir / "m4a1" / "M4A1.json"), "--policy", policy,
        "--latency-budget", "30", "--cost-budget", "0.05", "--json", "--cache", str(tmp_path),
    )  # fmt: skip
    result = json.loads(text)
    assert code == 0
    assert {"score", "latency_s", "cost_usd", "over_budget_rate", "n"} <= set(result)
    assert result["n"] == 10
    if policy == "local":
        assert result["cost_usd"] < 0.001


def test_sim_unknown_policy(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["router", "sim", "--data", str(data_dir / "m4a1" / "M4A1.json"), "--policy", "oracle",
         "--cache", str(tmp_path)]
    )  # fmt: skip
    assert code == 2 and "unknown policy 'oracle'" in capsys.readouterr().err


def test_profile_with_fake_endpoints_and_exact_judge(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        json.dumps({"id": "a", "prompt": "What is 6 * 7?", "reference": "42"})
        + "\n"
        + json.dumps({"id": "b", "prompt": "Capital of France?", "reference": "Paris"})
        + "\n"
    )

    def smart(messages: list[Message]) -> str:
        return "The answer is 42" if "6 * 7" in messages[-1].content else "Paris"

    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "cloud": FakeEndpoint(smart, name="cloud", kind="cloud", price_per_token_usd=1e-5),
    }
    out_file = tmp_path / "profile.jsonl"
    args = build_parser().parse_args(
        ["router", "profile", "--prompts", str(prompts), "--endpoints", "local,cloud",
         "--out", str(out_file)]
    )  # fmt: skip
    out = io.StringIO()
    assert asyncio.run(_profile(args, endpoints, out, **PRIVACY)) == 0
    records = {r.id: r for r in load_profile(out_file)}
    assert records["a"].endpoints["cloud"].quality == 1.0
    assert records["a"].endpoints["local"].quality == 0.0  # echoes the question, no 42
    assert records["b"].endpoints["cloud"].quality == 1.0
    assert records["a"].endpoints["cloud"].cost_usd > 0.0


def test_profile_with_a_judge_endpoint(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "Write a haiku"}) + "\n")
    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "judge": FakeEndpoint(lambda m: "10", name="judge", kind="cloud"),
    }
    out_file = tmp_path / "profile.jsonl"
    args = build_parser().parse_args(
        ["router", "profile", "--prompts", str(prompts), "--endpoints", "local",
         "--judge", "judge", "--out", str(out_file)]
    )  # fmt: skip
    asyncio.run(_profile(args, endpoints, io.StringIO(), **PRIVACY))
    (record,) = load_profile(out_file)
    assert record.id == "line-1" and record.endpoints["local"].quality == 1.0


def test_exact_judge_needs_references(tmp_path: Path) -> None:
    from router.errors import TandemError

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "hi"}) + "\n")
    args = build_parser().parse_args(
        ["router", "profile", "--prompts", str(prompts), "--endpoints", "local",
         "--out", str(tmp_path / "o.jsonl")]
    )  # fmt: skip
    with pytest.raises(TandemError, match="needs a 'reference'"):
        asyncio.run(_profile(args, {"local": FakeEndpoint(name="local")}, io.StringIO(), **PRIVACY))


def test_profile_closes_the_endpoints_in_the_loop_that_used_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP clients are bound to their event loop: closing them from a second loop fails."""
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "What is 6 * 7?", "reference": "42"}) + "\n")
    loops: dict[str, asyncio.AbstractEventLoop] = {}

    class LoopRecordingRuntime:
        def __init__(self) -> None:
            self.pipeline = make_pipeline()

        async def aclose(self) -> None:
            loops["closed"] = asyncio.get_running_loop()

    async def recording_profile(*args: object, **privacy: object) -> int:
        loops["used"] = asyncio.get_running_loop()
        return 0

    monkeypatch.setattr("router.runtime.compose.build_runtime", LoopRecordingRuntime)
    monkeypatch.setattr("app.cli.router_profile._profile", recording_profile)
    args = build_parser().parse_args(
        ["router", "profile", "--prompts", str(prompts), "--endpoints", "local",
         "--out", str(tmp_path / "p.jsonl")]
    )  # fmt: skip
    from app.cli.router_profile import run_profile

    assert run_profile(args, io.StringIO()) == 0
    assert loops["closed"] is loops["used"]


def test_report_write_assets_targets_the_repository_assets_folder(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--write-assets` retrains the shipped artifacts where the app loads them, not app/assets."""
    from router.policy.trained_router import DEFAULT_ROUTER

    seen: dict[str, object] = {}

    def fake_run_report(*args: object, **kwargs: object) -> dict[str, object]:
        seen.update(kwargs)  # nothing is trained or written
        return {}

    monkeypatch.setattr("router.learn.report_table.run_report", fake_run_report)
    monkeypatch.setattr("router.learn.report_table.format_table", lambda summary: "table")
    code, _ = _run(
        "report", "--data-dir", str(data_dir), "--out", str(tmp_path / "out"), "--write-assets"
    )
    assert code == 0
    assert seen["assets"] == DEFAULT_ROUTER.parent
    assert (DEFAULT_ROUTER.parent / "routing_learned.json").exists()  # the shipped folder


@pytest.mark.parametrize(
    ("flag", "target"), [((), "gap"), (("--target", "weak_failure"), "weak_failure")]
)
def test_train_target_flag_reaches_the_artifact(
    data_dir: Path, tmp_path: Path, flag: tuple[str, ...], target: str
) -> None:
    from router.policy.trained_router import load_router

    profile = tmp_path / "p.jsonl"
    _run("convert", "gsm8k", "--data-dir", str(data_dir), "--out", str(profile))
    artifact = tmp_path / "r.npz"
    code, _ = _run(
        "train", "--data", str(profile), "--strong", "gpt-4", "--weak", "mixtral",
        "--out", str(artifact), "--kind", "logistic", "--cache", str(tmp_path / "c"), *flag,
    )  # fmt: skip
    assert code == 0
    assert load_router(artifact).meta["target"] == target


def test_train_rejects_an_unknown_target(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(
            ["router", "train", "--data", "p", "--strong", "s", "--weak", "w", "--out", "o",
             "--target", "quality"]
        )  # fmt: skip
    assert "invalid choice: 'quality'" in capsys.readouterr().err
