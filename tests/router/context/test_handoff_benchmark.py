import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
LAST_LINE = re.compile(r"^evidence_recall=(\d+\.\d{3}) tokens=(\d+\.\d)$")

FILLER = [
    "Did you watch the game last night?",
    "Yes, what a finish, I could not believe it.",
    "I have been busy with work all week.",
    "Same here, meetings every single day.",
    "Let us grab coffee some time soon.",
    "Sure, maybe next Tuesday works.",
]


def _sample(name: str) -> dict[str, Any]:
    session_1 = [
        {"speaker": "Ana", "dia_id": "D1:1", "text": "Hi Ben!"},
        {"speaker": "Ben", "dia_id": "D1:2", "text": "Hey Ana, how are you?"},
        {"speaker": "Ana", "dia_id": "D1:3", "text": "I adopted a grey cat named Pixel."},
        {"speaker": "Ben", "text": "That is lovely."},  # no dia_id: tolerated
        {"speaker": "Ana", "dia_id": "D1:5", "text": "", "blip_caption": "a photo of a cat"},
    ]
    session_2 = [
        {"speaker": "Ana" if i % 2 == 0 else "Ben", "dia_id": f"D2:{i + 1}", "text": text}
        for i, text in enumerate(FILLER * 3)
    ]
    return {
        "sample_id": name,
        "conversation": {
            "speaker_a": "Ana",
            "speaker_b": "Ben",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": session_1,
            "session_2": session_2,  # no date_time: tolerated
        },
        "qa": [
            {"question": "What is the name of Ana's cat?", "evidence": ["D1:3"], "category": 4},
            {"question": "What colour is the cat?", "evidence": ["D1:3; D1:5"], "category": "1"},
            {"question": "Not scored", "evidence": ["D1:3"], "category": 5},
            {"question": "No evidence", "category": 2},
            {"question": "Unknown ids", "evidence": ["D9:9"], "category": 3},
        ],
    }


def _run(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "handoff.py"), "--data", str(path), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )


def test_benchmark_runs_on_a_tiny_locomo_file(tmp_path: Path) -> None:
    data = tmp_path / "tiny.json"
    data.write_text(json.dumps([_sample("a"), _sample("b")]), encoding="utf-8")
    result = _run(data, "--budget", "120")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match, lines[-1]
    recall, tokens = float(match.group(1)), float(match.group(2))
    assert 0.0 <= recall <= 1.0 and 0 < tokens <= 120
    assert "4 QA items" in result.stdout  # two scorable items per conversation
    assert "| 120 | handoff |" in result.stdout and "| none | full | 1.000 |" in result.stdout
    assert "tokenizer:" in result.stdout


def test_benchmark_accepts_a_single_conversation_object(tmp_path: Path) -> None:
    data = tmp_path / "one.json"
    data.write_text(json.dumps(_sample("solo")), encoding="utf-8")
    result = _run(data)
    assert result.returncode == 0, result.stderr
    match = LAST_LINE.match(result.stdout.strip().splitlines()[-1])
    assert match and float(match.group(1)) == 1.0  # 1,000 tokens hold this whole chat
