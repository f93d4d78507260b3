"""`tandem router profile-device`: clear errors before any model loads, and a real GGUF run.

The run uses the tiny random-weight GGUF (tests/conftest.py): llama.cpp in its
worker process, the same path the bundled model takes, in well under a second.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from router.learn.device_profile import LOCAL
from router.learn.profile import load_profile
from router.paths import TandemPaths
from tests.support.routellm_data import write_routellm


def _profile(*extra: str) -> int:
    return main(["router", "profile-device", *extra])


def test_a_missing_data_folder_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _profile("--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "p.jsonl"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"tandem: the RouteLLM data is not at {tmp_path / 'nowhere'}")
    assert "pass --data" in err and not (tmp_path / "p.jsonl").exists()


def test_a_missing_answer_key_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = write_routellm(tmp_path)
    code = _profile(
        "--data", str(data), "--mmlu-key", str(tmp_path / "no.tsv"), "--out", str(tmp_path / "p")
    )
    assert code == 2 and "no MMLU answer key at" in capsys.readouterr().err


def test_an_unknown_dataset_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _profile("--datasets", "mmlu,hellaswag", "--out", str(tmp_path / "p"))
    assert code == 2 and "unknown dataset(s): hellaswag" in capsys.readouterr().err


def test_a_missing_model_is_one_clear_error(
    tandem_home: TandemPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, key = write_routellm(tmp_path)
    code = _profile(
        "--data", str(data), "--mmlu-key", str(key), "--out", str(tmp_path / "p"),
        "--model", str(tmp_path / "absent.gguf"),
    )  # fmt: skip
    assert code == 2 and "no model called" in capsys.readouterr().err


def test_the_real_local_model_profiles_and_resumes(
    tandem_home: TandemPaths, tiny_gguf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, key = write_routellm(tmp_path)
    out = tmp_path / "device.jsonl"
    args = ["--model", str(tiny_gguf), "--data", str(data), "--mmlu-key", str(key),
            "--out", str(out), "--n-ctx", "512", "--samples", "2"]  # fmt: skip
    assert _profile(*args, "--limit", "2") == 0
    first = capsys.readouterr()
    records = load_profile(out)
    assert len(records) == 2 and "[2/2]" in first.err and "ETA" in first.err
    for record in records:
        sample = record.meta["samples"][0]
        assert set(record.endpoints) == {LOCAL, "gpt-4", "mixtral"}
        assert len(sample["token_logprobs"]) == sample["output_tokens"] > 0
        assert record.meta["confidence"]["agreement"] is not None
    assert "accuracy per benchmark" in first.out

    assert _profile(*args, "--limit", "3") == 0
    second = capsys.readouterr()
    assert f"2 of 3 questions already in {out}; 1 to ask" in second.err
    assert len(load_profile(out)) == 3


def test_the_gsm8k_answer_cap_is_applied_and_recorded(
    tandem_home: TandemPaths, tiny_gguf: Path, tmp_path: Path
) -> None:
    data, _ = write_routellm(tmp_path)
    out = tmp_path / "device.jsonl"
    code = _profile(
        "--model", str(tiny_gguf), "--data", str(data), "--datasets", "gsm8k", "--out", str(out),
        "--n-ctx", "512", "--samples", "1", "--gsm8k-max-tokens", "3",
    )  # fmt: skip
    assert code == 0
    for record in load_profile(out):
        assert record.meta["max_tokens"] == 3 and record.meta["output_tokens"] <= 3


def test_a_crashing_local_model_costs_the_question_in_flight_not_the_profile(
    tandem_home: TandemPaths,
    tiny_gguf: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A native crash as users' CPUs give it (AMX on Sapphire Rapids, ...), injected
    # into the real worker: this machine's CPU may never crash on its own.
    trigger = tmp_path / "crash"
    trigger.touch()
    monkeypatch.setenv("TANDEM_LLAMA_FAULT", f"segv-once:{trigger}")
    data, key = write_routellm(tmp_path)
    out = tmp_path / "device.jsonl"
    args = ["--model", str(tiny_gguf), "--data", str(data), "--mmlu-key", str(key),
            "--out", str(out), "--n-ctx", "512", "--samples", "1", "--limit", "2"]  # fmt: skip
    assert _profile(*args) == 0  # the run goes on past the crash
    first = capsys.readouterr()
    assert not trigger.exists()  # the fault fired
    assert "Traceback" not in first.err and "lost, the local model crashed" in first.err
    assert "1 lost to a local model crash (run again for them)" in first.out
    assert len(load_profile(out)) == 1  # the other question, on the restarted worker
    assert _profile(*args) == 0  # a re-run asks the lost one
    assert "1 of 2 questions already in" in capsys.readouterr().err
    assert len(load_profile(out)) == 2


def test_a_cpu_whose_extra_buffers_crash_still_profiles(
    tandem_home: TandemPaths, tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_LLAMA_FAULT", "segv-with-extra-buffers")
    data, key = write_routellm(tmp_path)
    out = tmp_path / "device.jsonl"
    args = ["--model", str(tiny_gguf), "--data", str(data), "--mmlu-key", str(key),
            "--out", str(out), "--n-ctx", "512", "--samples", "1", "--limit", "2"]  # fmt: skip
    assert _profile(*args) == 0
    assert len(load_profile(out)) == 2
