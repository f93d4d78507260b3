"""A profile appended record by record: resuming after a stop or a crash, progress with an ETA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.learn.profile import Outcome, ProfileError, ProfileRecord, load_profile
from router.learn.profile_log import Progress, append_record, format_duration, resume


def _record(rid: str) -> ProfileRecord:
    return ProfileRecord(id=rid, prompt=f"prompt {rid}", endpoints={"local": Outcome(1.0)})


def _line(rid: str) -> str:
    return json.dumps(_record(rid).to_json()) + "\n"


def test_a_missing_file_has_nothing_done(tmp_path: Path) -> None:
    resumed = resume(tmp_path / "new.jsonl")
    assert resumed.done == frozenset() and not resumed.dropped_partial


def test_appended_records_are_what_resume_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    with path.open("a", encoding="utf-8") as handle:
        append_record(handle, _record("a"))
        append_record(handle, _record("b"))
    assert resume(path).done == {"a", "b"}
    assert [r.id for r in load_profile(path)] == ["a", "b"]


def test_a_partial_last_line_from_a_crash_is_cut_and_the_file_stays_valid(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(_line("a") + _line("b")[:25], encoding="utf-8")
    resumed = resume(path)
    assert resumed.done == {"a"} and resumed.dropped_partial
    with path.open("a", encoding="utf-8") as handle:
        append_record(handle, _record("b"))
    assert [r.id for r in load_profile(path)] == ["a", "b"]


def test_a_whole_last_record_without_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(_line("a") + _line("b").rstrip("\n"), encoding="utf-8")
    resumed = resume(path)
    assert resumed.done == {"a", "b"} and not resumed.dropped_partial
    with path.open("a", encoding="utf-8") as handle:
        append_record(handle, _record("c"))
    assert [r.id for r in load_profile(path)] == ["a", "b", "c"]


def test_a_bad_line_before_the_last_is_named_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(_line("a") + "{oops\n" + _line("b"), encoding="utf-8")
    with pytest.raises(ProfileError, match="line 2"):
        resume(path)


@pytest.mark.parametrize(
    ("seconds", "text"), [(45.2, "45s"), (200, "3m 20s"), (7500, "2h 05m"), (-1, "0s")]
)
def test_durations_read_shortly(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_progress_counts_from_earlier_runs_and_projects_the_pace() -> None:
    now = [100.0]
    progress = Progress(total=10, already=4, clock=lambda: now[0])
    now[0] += 6.0
    assert progress.step("q1: right") == "[5/10] q1: right | 6.0 s/question, ETA 30s"
    now[0] += 2.0
    assert progress.step("q2: wrong") == "[6/10] q2: wrong | 4.0 s/question, ETA 16s"
