"""A tiny RouteLLM data folder (MMLU, GSM8K) with an MMLU answer key, for profiling tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from router.learn.graded import prompt_id

WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
MMLU = [
    # (prompt, correct letter or None when the key does not know it, Mixtral right, GPT-4 right)
    ("What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:", "B", True, True),
    ("Which is a colour?\nA. Red\nB. Dog\nC. Run\nD. Ten\nAnswer:", "A", False, True),
    ("Unkeyed question?\nA. a\nB. b\nC. c\nD. d\nAnswer:", None, True, False),
]
GSM8K = [
    # (question, worked answer, Mixtral right, GPT-4 right)
    ("Tom has 3 apples and buys 4 more. How many?", "3 + 4 = <<3+4=7>>7\n#### 7", True, True),
    ("A box holds 1,200 pens; 200 are sold. How many are left?", "#### 1,000", False, True),
    ("Contaminated question?", "#### 1", True, True),
]


def write_routellm(root: Path) -> tuple[Path, Path]:
    """Write the folder under `root`; return (data folder, MMLU answer-key file)."""
    data = root / "routellm"
    (data / "mmlu").mkdir(parents=True)
    with (data / "mmlu" / "mmlu_tiny.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt", WEAK, STRONG])
        writer.writerows((p, weak, strong) for p, _, weak, strong in MMLU)
    with (data / "gsm8k_responses.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt", WEAK, STRONG])
        writer.writerows((q, weak, strong) for q, _, weak, strong in GSM8K)
    (data / "gsm8k_test.jsonl").write_text(
        "".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a, _, _ in GSM8K),
        encoding="utf-8",
    )
    contaminated = {"train_prompt": "x", "eval_prompt": "Contaminated question?"}
    (data / "gsm8k_contaminated_prompts.jsonl").write_text(json.dumps(contaminated) + "\n")
    key = root / "key.tsv"
    rows = "".join(f"{prompt_id(p)}\t{letter}\n" for p, letter, _, _ in MMLU if letter)
    key.write_text("# id<TAB>letter\n" + rows, encoding="utf-8")
    return data, key
