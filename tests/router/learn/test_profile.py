import json
from pathlib import Path

import pytest

from router.learn.profile import (
    Outcome,
    ProfileError,
    ProfileRecord,
    load_profile,
    write_profile,
)


def _line(**over: object) -> str:
    record: dict[str, object] = {
        "id": "a",
        "prompt": "hi",
        "conversation": None,
        "turn": None,
        "endpoints": {"local": {"quality": 0.5, "latency_s": 1.0, "cost_usd": 0.0}},
    }
    record.update(over)
    return json.dumps(record)


def test_round_trip(tmp_path: Path) -> None:
    records = [
        ProfileRecord(
            id="x1",
            prompt="What is 2+2?",
            endpoints={"local": Outcome(1.0, 0.5, 0.0), "cloud": Outcome(1.0, 1.2, 0.001)},
            conversation="c1",
            turn=0,
            meta={"benchmark": "toy"},
        )
    ]
    path = tmp_path / "p.jsonl"
    assert write_profile(records, path) == 1
    assert load_profile(path) == records


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(_line() + "\n\n" + _line(id="b") + "\n")
    assert [r.id for r in load_profile(path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        (_line(endpoints={"local": {"quality": 1.5}}), "quality must be [0, 1]"),
        (_line(endpoints={}), "'endpoints' must be a non-empty object"),
        (_line(id=""), "'id' must be a non-empty string"),
        (_line(turn="two"), "'turn' must be an integer or null"),
        (_line(endpoints={"local": {"latency_s": 1.0}}), "has no 'quality'"),
        (_line(endpoints={"local": {"quality": 0.5, "cost_usd": -1}}), "cost_usd must be >= 0"),
        ("{not json", "line 2"),
        (_line(), "duplicate id 'a'"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, bad: str, needle: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(_line() + "\n" + bad + "\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert "line 2" in info.value.message
    assert needle in info.value.message


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("\n")
    with pytest.raises(ProfileError, match="no records"):
        load_profile(path)
