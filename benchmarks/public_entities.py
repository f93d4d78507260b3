"""Public knowledge against private life: what reaches the cloud, through the real privacy path.

    PYTHONPATH=. .venv/bin/python benchmarks/public_entities.py [--json PATH] [--show N]
        [--no-pupa] [--judge MODEL.gguf]

Every text is scanned and redacted as a cloud turn is (`pupa_leakage.TandemPath`
on the shipped default settings: `scanner_for(settings)`, the `Pseudonymizer`,
the egress check and the transport guard). Three sets:

- Public benchmark questions (`../shared/data/routellm`, no private data by
  construction): the 80 MT-Bench questions (first turn), 300 MMLU prompts (a
  fixed sample, seed 0, over all 57 subject files) and the first 200 GSM8K test
  questions, RouteLLM's contaminated prompts left out (a dev set now), plus a
  `held-out` pair (MMLU seed 1, GSM8K 201-400; read in issue 18's third round)
  and an `unseen` pair (MMLU seed 2, GSM8K 401-600; never read by whoever
  changes the detectors: only labelled).
  Reported: kept local / redacted / sent as is, the share sent intact (nothing
  masked: a lower bound on "no public-knowledge entity masked", since a masked
  fictional "Janet" counts against it too), the share that reached the cloud with
  no name of the shipped public-entity list masked ("listed ok": an upper bound,
  as good as that list), and the types of what was masked.
- The hand-written contrast set (`benchmarks/data/public_private_contrast.jsonl`,
  see benchmarks/data/README.md), dev and held-out halves by a fixed hash of `id`:
  public questions reaching the cloud with every listed public entity intact
  (goal >= 90%), and private people and addresses caught (not in the text sent,
  case-insensitively; goal >= 95%).
- PUPA leakage (`pupa_leakage.py`'s scoring, all rows and its held-out half;
  goal <= 3%).

Also printed: how many texts had a listed name in doubt (`public.Undecided`: a
task, a statement or a long text; private unless judged public). `--judge
MODEL.gguf` turns the name judge on (`[privacy] judge = "device"`) with that GGUF
as the device model, and adds its calls, failures and time per call.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.pupa_leakage import DATASET as PUPA
from benchmarks.pupa_leakage import (
    Sent,
    Tally,
    TandemPath,
    default_scanner,
    is_held_out,
    load_queries,
)
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.privacy.public import normalize_name, public_names
from router.privacy.redact import PLACEHOLDER
from router.turn.name_judge import DeviceJudge

ROOT = Path(__file__).resolve().parents[1]
ROUTELLM = ROOT.parent / "shared" / "data" / "routellm"
CONTRAST = ROOT / "benchmarks" / "data" / "public_private_contrast.jsonl"
LABELS = ROOT / "benchmarks" / "data" / "routellm_masked_labels.tsv"
MMLU_SAMPLE, GSM8K_FIRST = 300, 200
GOAL_PUBLIC, GOAL_PRIVATE, GOAL_LEAKAGE = 0.90, 0.95, 0.03  # issue 18's goals
_PLACEHOLDER = PLACEHOLDER  # bare or described: `[PERSON_1]`, `[PERSON_1, a colleague]`


@dataclass(frozen=True)
class Question:
    """One text to send, from one set, with what must survive and what must not."""

    set: str
    id: str
    text: str
    public: tuple[str, ...] = ()
    private: tuple[str, ...] = ()


def _contaminated(name: str) -> set[str]:
    path = ROUTELLM / f"{name}_contaminated_prompts.jsonl"
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["train_prompt"].strip() for line in lines if line.strip()}


def load_routellm() -> list[Question]:
    """MT-Bench (80, first turns), MMLU (300 sampled), GSM8K (first 200); [] without the data."""
    if not ROUTELLM.exists():
        return []
    out: list[Question] = []
    mt_lines = (ROUTELLM / "mt_bench_questions.jsonl").read_text(encoding="utf-8").splitlines()
    for line in mt_lines:
        row = json.loads(line)
        out.append(Question("mt_bench", str(row["question_id"]), row["turns"][0]))
    skip = _contaminated("mmlu")
    mmlu: list[str] = []
    for path in sorted((ROUTELLM / "mmlu").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            mmlu += [r["prompt"] for r in csv.DictReader(handle) if r["prompt"].strip() not in skip]
    picked = random.Random(0).sample(mmlu, MMLU_SAMPLE)
    out += [Question("mmlu", str(i), text) for i, text in enumerate(picked)]
    # Held out: a second sample of as many other prompts, never read while building.
    chosen = set(picked)
    rest = [text for text in mmlu if text not in chosen]
    held_out = random.Random(1).sample(rest, MMLU_SAMPLE)
    out += [Question("mmlu held-out", str(i), text) for i, text in enumerate(held_out)]
    # Unseen: a third sample, added in issue 18's third round before any detector
    # change was made on it, after the held-out misses had been read (see README).
    chosen.update(held_out)
    rest = [text for text in mmlu if text not in chosen]
    unseen = random.Random(2).sample(rest, MMLU_SAMPLE)
    out += [Question("mmlu unseen", str(i), text) for i, text in enumerate(unseen)]
    skip = _contaminated("gsm8k")
    gsm_lines = (ROUTELLM / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines()
    gsm = [json.loads(line)["question"] for line in gsm_lines if line.strip()]
    gsm = [q for q in gsm if q.strip() not in skip]
    out += [Question("gsm8k", str(i), text) for i, text in enumerate(gsm[:GSM8K_FIRST])]
    held = gsm[GSM8K_FIRST : 2 * GSM8K_FIRST]
    out += [Question("gsm8k held-out", str(i), text) for i, text in enumerate(held)]
    unseen = gsm[2 * GSM8K_FIRST : 3 * GSM8K_FIRST]
    out += [Question("gsm8k unseen", str(i), text) for i, text in enumerate(unseen)]
    return out


def contrast_split(row_id: str) -> str:
    """`dev` or `held-out`: the parity of the SHA-256 of the row's id (fixed)."""
    odd = int(hashlib.sha256(row_id.encode("utf-8")).hexdigest(), 16) % 2 == 1
    return "held-out" if odd else "dev"


def load_contrast(path: Path = CONTRAST) -> list[Question]:
    """The hand-written contrast rows, each labelled with its half."""
    out: list[Question] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.append(
            Question(
                f"contrast/{contrast_split(row['id'])}",
                row["id"],
                row["text"],
                tuple(row["public"]),
                tuple(row["private"]),
            )
        )
    return out


def masked_types(sent: Sent) -> list[str]:
    """The finding types behind the placeholders in the text sent."""
    return [m["type"] for m in _PLACEHOLDER.finditer(sent.text or "")]


def listed_masked(sent: Sent) -> list[str]:
    """Masked values that name public knowledge by the shipped list (whatever their context)."""
    names = public_names()
    return [value for value, _ in sent.placeholders if normalize_name(value) in names]


def load_labels(path: Path = LABELS) -> dict[str, str]:
    """Masked value (tabs and line breaks written as \\t, \\n) -> public, fictional or word."""
    labels: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("# "):
            label, _, value = line.partition("\t")
            labels[value] = label
    return labels


def _label_key(value: str) -> str:
    return value.replace("\t", "\\t").replace("\n", "\\n")


def public_entities_masked(sent: Sent, labels: dict[str, str]) -> list[str]:
    """Masked values labelled public knowledge, or not labelled at all (counted as public)."""
    return [
        value
        for value, _ in sent.placeholders
        if labels.get(_label_key(value), "public") == "public"
    ]


def unlabelled(sent: Sent, labels: dict[str, str]) -> int:
    """How many masked values have no hand label (each counted as public knowledge)."""
    return sum(_label_key(value) not in labels for value, _ in sent.placeholders)


def public_intact(question: Question, sent: Sent) -> bool:
    """True when the text reached the cloud with every listed public entity verbatim."""
    return sent.text is not None and all(p in sent.text for p in question.public)


def private_caught(question: Question, sent: Sent) -> list[bool]:
    """Per listed private value: True when it is not in the text sent (any case)."""
    lowered = (sent.text or "").lower()
    return [p.lower() not in lowered for p in question.private]


@dataclass
class SetFigures:
    """Routes and masks over one set of questions."""

    queries: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    intact: int = 0
    listed_ok: int = 0
    """Reached the cloud with no name from assets/public_entities.txt masked."""
    scored: int = 0
    """Questions scored with the hand labels (the public benchmark sets)."""
    labelled_ok: int = 0
    """Reached the cloud with no masked value hand-labelled public (or unlabelled)."""
    unlabelled: int = 0
    types: Counter[str] = field(default_factory=Counter)
    public_rows: int = 0
    public_ok: int = 0
    private_units: int = 0
    private_caught: int = 0
    in_doubt: int = 0
    """Texts with a listed name in doubt (private unless a judge said public)."""

    def add(
        self,
        question: Question,
        sent: Sent,
        labels: dict[str, str] | None = None,
        in_doubt: int = 0,
    ) -> None:
        """Count one question; `labels` (value -> label) scores the public benchmark sets,
        `in_doubt` is how many names its scan left undecided."""
        self.queries += 1
        self.in_doubt += in_doubt > 0
        if labels is not None:
            self.scored += 1
            self.labelled_ok += sent.text is not None and not public_entities_masked(sent, labels)
            self.unlabelled += unlabelled(sent, labels)
        self.routes[sent.route] += 1
        self.intact += sent.text == question.text
        self.listed_ok += sent.text is not None and not listed_masked(sent)
        self.types.update(set(masked_types(sent)))
        if question.public and not question.private:
            self.public_rows += 1
            self.public_ok += public_intact(question, sent)
        caught = private_caught(question, sent)
        self.private_units += len(caught)
        self.private_caught += sum(caught)

    def as_dict(self) -> dict[str, object]:
        """The figures as JSON-ready values."""
        return {
            "queries": self.queries,
            "kept_local": self.routes["keep_local"],
            "redacted": self.routes["redact"],
            "sent_as_is": self.routes["allow"],
            "blocked": self.routes["blocked"],
            "intact": self.intact,
            "no_listed_name_masked": self.listed_ok,
            "no_public_entity_masked": self.labelled_ok,
            "unlabelled_masked_values": self.unlabelled,
            "masked_types": dict(self.types.most_common()),
            "public_questions": self.public_rows,
            "public_intact": self.public_ok,
            "private_units": self.private_units,
            "private_caught": self.private_caught,
            "in_doubt": self.in_doubt,
        }


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}" if whole else "    -"


_HEADER = (
    f"{'set':<18} {'n':>4} {'local%':>6} {'redact%':>7} {'as is%':>6} {'intact%':>7} "
    f"{'listed ok%':>10} "
    f"{'public ok':>10} {'private caught':>15}  masked types (questions)"
)


def _row(name: str, f: SetFigures) -> str:
    n = f.queries
    public = f"{_pct(f.public_ok, f.public_rows)}% {f.public_ok}/{f.public_rows}"
    if not f.public_rows and f.scored:  # public benchmark questions: the hand labels
        public = f"{_pct(f.labelled_ok, f.scored)}% {f.labelled_ok}/{f.scored}"
    private = f"{_pct(f.private_caught, f.private_units)}% {f.private_caught}/{f.private_units}"
    types = ", ".join(f"{t} {c}" for t, c in f.types.most_common(5)) or "-"
    return (
        f"{name:<18} {n:>4} {_pct(f.routes['keep_local'], n):>6} {_pct(f.routes['redact'], n):>7} "
        f"{_pct(f.routes['allow'], n):>6} {_pct(f.intact, n):>7} {_pct(f.listed_ok, n):>10} "
        f"{public if f.public_rows or f.scored else '-':>10} "
        f"{private if f.private_units else '-':>15}  {types}"
    )


def measure(
    path: TandemPath, questions: Iterable[Question], labels: dict[str, str] | None = None
) -> dict[str, SetFigures]:
    """Send every question through `path`; figures per set, plus `routellm` over all three."""
    figures: dict[str, SetFigures] = {}
    for question in questions:
        sent = path.send(question.text)
        scored = None if question.set.startswith("contrast/") else labels
        for name in _sets_of(question):
            figures.setdefault(name, SetFigures()).add(question, sent, scored, path.in_doubt[-1])
    return figures


def _sets_of(question: Question) -> list[str]:
    if question.set.startswith("contrast/"):
        return [question.set, "contrast/all"]
    if question.set.endswith("held-out"):
        return [question.set, "routellm held-out"]
    if question.set.endswith("unseen"):
        return [question.set, "routellm unseen"]
    return [question.set, "routellm (all)"]


def pupa_figures(path: TandemPath) -> dict[str, Tally]:
    """PUPA leakage as `pupa_leakage.py` scores it, on every row and its held-out half."""
    if not PUPA.exists():
        return {}
    tallies = {"all": Tally(), "held-out": Tally()}
    for query in load_queries(PUPA):
        sent = path.send(query.text)
        tallies["all"].add(query, sent)
        if is_held_out(query.conversation_hash):
            tallies["held-out"].add(query, sent)
    return tallies


def doubt_line(figures: dict[str, SetFigures], pupa_texts: Sequence[int]) -> str:
    """How many texts per set had a listed name in doubt."""
    order = ["mt_bench", "mmlu", "gsm8k", "contrast/all"]
    parts = [f"{n} {figures[n].in_doubt}/{figures[n].queries}" for n in order if n in figures]
    if pupa_texts:
        parts.append(f"PUPA {sum(1 for n in pupa_texts if n)}/{len(pupa_texts)}")
    return "texts with a listed name in doubt: " + ", ".join(parts)


def judge_line(judge: DeviceJudge) -> str:
    """The judge's work: prompts, failures, time per prompt, and what it answered."""
    per_call = judge.seconds / judge.calls if judge.calls else 0.0
    public = sum(judge.verdicts.values())
    return (
        f"judge: {judge.calls} prompts ({judge.failures} failed), {per_call:.2f} s per prompt "
        f"({judge.seconds:.0f} s in all); {public} of {len(judge.verdicts)} names judged public"
    )


def report(figures: dict[str, SetFigures], pupa: dict[str, Tally]) -> list[str]:
    """The printed table and goal lines."""
    order = ["mt_bench", "mmlu", "gsm8k", "routellm (all)"]
    order += ["mmlu held-out", "gsm8k held-out", "routellm held-out"]
    order += ["mmlu unseen", "gsm8k unseen", "routellm unseen"]
    order += ["contrast/dev", "contrast/held-out", "contrast/all"]
    lines = [_HEADER] + [_row(name, figures[name]) for name in order if name in figures]
    for name in ("routellm (all)", "routellm held-out", "routellm unseen"):
        f = figures.get(name)
        if f is None or not f.queries:
            continue
        share = f.labelled_ok / f.queries
        lines.append(
            f"{name}: no public-knowledge entity masked {100 * share:.1f}% "
            f"(goal >= {100 * GOAL_PUBLIC:.0f}%: {'PASS' if share >= GOAL_PUBLIC else 'FAIL'}; "
            f"{f.unlabelled} masked values had no label, each counted as public)"
        )
    for name in ("contrast/dev", "contrast/held-out"):
        f = figures.get(name)
        if f is None:
            continue
        public = f.public_ok / f.public_rows if f.public_rows else 0.0
        private = f.private_caught / f.private_units if f.private_units else 0.0
        lines.append(
            f"{name}: public intact {100 * public:.1f}% (goal >= {100 * GOAL_PUBLIC:.0f}%: "
            f"{'PASS' if public >= GOAL_PUBLIC else 'FAIL'}), private caught {100 * private:.1f}% "
            f"(goal >= {100 * GOAL_PRIVATE:.0f}%: {'PASS' if private >= GOAL_PRIVATE else 'FAIL'})"
        )
    for split, t in pupa.items():
        lines.append(
            f"PUPA {split}: {t.queries} queries, leakage {100 * t.leakage:.1f}% "
            f"({t.leaked}/{t.units} units; goal <= {100 * GOAL_LEAKAGE:.0f}%: "
            f"{'PASS' if t.leakage <= GOAL_LEAKAGE else 'FAIL'}), cloud {100 * t.cloud_share:.1f}%"
        )
    return lines


def examples(path: TandemPath, questions: Sequence[Question], count: int) -> list[str]:
    """What the cloud saw for the first `count` contrast questions that missed a goal."""
    out: list[str] = []
    for question in questions:
        if len(out) >= count or not question.set.startswith("contrast/dev"):
            continue
        sent = path.send(question.text)
        public_bad = question.public and not public_intact(question, sent)
        if public_bad or not all(private_caught(question, sent)):
            out.append(f"{question.id} {sent.route:<10} {sent.text or '(not sent)'}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--show", type=int, default=0, help="dev-half misses to print")
    parser.add_argument("--no-pupa", action="store_true", help="skip PUPA leakage")
    parser.add_argument(
        "--judge", type=Path, default=None, metavar="MODEL.gguf", help="judge names in doubt"
    )
    args = parser.parse_args(argv)
    logging.getLogger("router.privacy.guard").setLevel(logging.ERROR)  # one line per block
    scanner = default_scanner()
    judge = None
    if args.judge is not None:
        device = LlamaCppEndpoint(args.judge)
        judge = scanner.judge = DeviceJudge(lambda: device)
    path = TandemPath(scanner)
    questions = [*load_routellm(), *load_contrast()]
    figures = measure(path, questions, load_labels())
    first = len(path.in_doubt)
    pupa = {} if args.no_pupa else pupa_figures(path)
    lines = [*report(figures, pupa), doubt_line(figures, path.in_doubt[first:])]
    print("\n".join(lines + ([judge_line(judge)] if judge else [])))
    if args.show:
        print(
            "\n".join(
                ["", "dev-half misses (what the cloud saw):", *examples(path, questions, args.show)]
            )
        )
    if args.json:
        data = {name: f.as_dict() for name, f in figures.items()}
        data["pupa"] = {split: t.as_dict() for split, t in pupa.items()}
        if judge is not None:
            data["judge"] = {
                "prompts": judge.calls,
                "failed": judge.failures,
                "seconds": round(judge.seconds, 1),
                "names": len(judge.verdicts),
                "public": sum(judge.verdicts.values()),
            }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    path.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
