"""Behaviour of `benchmarks/mmlu_redaction.py` on 3 MMLU questions with a fake model."""

import asyncio
import json
import re
from pathlib import Path

import pytest

from benchmarks import mmlu_data as md
from benchmarks import mmlu_redaction as mr
from benchmarks.pupa_leakage import TandemPath, default_scanner
from tests.support.missing import missing


@pytest.fixture(autouse=True)
def _dataset() -> None:
    # ../shared/data sits beside the checkout in CI; elsewhere it may not.
    if not md.MMLU.exists():
        missing(f"{md.MMLU} not found (it comes with ../shared)")


def _question(text: str, answer: str = "A") -> mr.MmluQuestion:
    return md.MmluQuestion("test", f"{text}\nA. yes\nB. no\nC. maybe\nD. never\nAnswer:", answer)


QUESTIONS = [
    _question("What is the capital of France?", "A"),
    _question("My neighbour Tom Hargreaves lives at 14 Elm Road. Is he home?", "B"),
    _question("What is 2 + 2?", "C"),
]


def _paths() -> dict[str, TandemPath]:
    return mr.paths_for(default_scanner(ner=False))


def test_the_answer_key_gives_a_letter_to_every_sampled_question() -> None:
    questions = md.load_questions(3, md.load_key())
    assert len(questions) == 3
    assert all(q.answer in "ABCD" and q.text.endswith("Answer:") for q in questions)
    assert questions == md.load_questions(3, md.load_key())  # a fixed sample


def test_the_worked_examples_answer_each_letter_once_and_are_never_sampled() -> None:
    key = md.load_key()
    shots = md.load_shots(key)
    assert [letter for _, letter in shots] == ["A", "B", "C", "D"]
    every = md.load_questions(10**6, key)  # asking for more stops short of the harness's pool
    assert len(every) > 500
    assert not {text for text, _ in shots} & {q.text for q in every}


def test_the_calibration_prompts_are_neither_sampled_nor_worked_examples() -> None:
    key = md.load_key()
    prompts = md.load_calibration(key)
    assert len(prompts) == md.CALIBRATION == len(set(prompts))
    assert prompts == md.load_calibration(key)
    taken = {q.text for q in md.load_questions(10**6, key)} | {t for t, _ in md.load_shots(key)}
    assert not set(prompts) & taken


def test_letters_are_parsed_from_replies() -> None:
    assert mr.answer_letter("B. Wrong, Not wrong") == "B"
    assert mr.answer_letter("The answer is (C)") == "C"
    assert mr.answer_letter("To determine how many") is None


def test_the_before_path_masks_public_names_that_the_shipped_path_sends() -> None:
    paths = _paths()
    before, after = paths.values()
    text = QUESTIONS[0].text
    assert "France" not in (before.send(text).text or "")
    assert after.send(text).text == text


def test_each_way_is_scored_and_redacted_prompts_are_counted() -> None:
    seen: list[str] = []

    async def fake(text: str) -> str:
        seen.append(text)
        # Right only when the question reaches the model with its names intact.
        if "France" in text:
            return "A"
        return "B" if "Hargreaves" in text else "C"

    ways = asyncio.run(mr.measure(QUESTIONS, fake, _paths()))
    _, before, after = ways
    assert [w.correct for w in ways] == [3, 1, 2]
    assert before.changed == 2 and after.changed == 1  # France masked only before
    assert before.answers_changed == 2 and after.answers_changed == 1
    assert len(seen) == len(set(seen))  # a prompt is asked once
    assert not any("Hargreaves" in s for s in seen if "[PERSON" in s)


def test_the_reply_is_restored_before_it_is_scored() -> None:
    async def echo_placeholder(text: str) -> str:
        found = re.search(r"\[[A-Z_]+_\d+\]", text)
        return f"{found.group(0)} A" if found else "A"

    before = _paths()["sent, before (public step off)"]
    way = mr.Way("before")
    reply = asyncio.run(mr.answer_as_sent(before, QUESTIONS[0], echo_placeholder, way))
    assert reply == "France A"
    assert way.changed == 1


def test_the_report_has_the_ratio_of_each_way(tmp_path: Path) -> None:
    async def always_a(text: str) -> str:
        return "A"

    ways = asyncio.run(mr.measure(QUESTIONS, always_a, _paths()))
    lines = mr.report(ways, len(QUESTIONS), 1.0)
    assert lines[1].split()[:4] == ["original", "3", "1", "33.3"]
    assert any(line.startswith("sent, after (shipped settings): ratio 1.000") for line in lines)
    figures = ways[2].as_dict(3, ways[0])
    assert json.loads(json.dumps(figures))["ratio"] == 1.0


def test_each_way_keeps_its_hits_question_by_question() -> None:
    async def right_when_france_is_sent(text: str) -> str:
        return "A" if "France" in text else "D"

    ways = asyncio.run(mr.measure(QUESTIONS, right_when_france_is_sent, _paths()))
    original, before, after = ways
    assert original.hits == [True, False, False]
    assert before.hits == [False, False, False]  # France masked: the first answer is lost
    assert after.hits == [True, False, False]


def test_the_report_gives_the_noise_of_each_sent_way() -> None:
    async def right_when_france_is_sent(text: str) -> str:
        return "A" if "France" in text else "D"

    ways = asyncio.run(mr.measure(QUESTIONS, right_when_france_is_sent, _paths()))
    lines = mr.report(ways, len(QUESTIONS), 1.0)
    noise = [line for line in lines if "95% interval" in line]
    assert [line.split(":")[0] for line in noise] == [
        "sent, before (public step off)",
        "sent, after (shipped settings)",
    ]
    assert "accuracy difference -100.0 to +0.0 points" in noise[0]
    assert "accuracy difference +0.0 to +0.0 points, ratio 1.000 to 1.000" in noise[1]
    figures = ways[1].as_dict(3, ways[0])
    assert figures["difference_95"] == [-1.0, 0.0]
