"""Behaviour of `benchmarks/public_entities.py` on its hand-written contrast set (NER off)."""

from collections import Counter

from benchmarks import public_entities as pe
from benchmarks.pupa_leakage import Sent, TandemPath, default_scanner
from router.endpoints.function import FunctionEndpoint
from router.turn.name_judge import DeviceJudge


def test_the_contrast_set_is_well_formed_and_split_in_two_fixed_halves() -> None:
    rows = pe.load_contrast()
    assert len({r.id for r in rows}) == len(rows) == 132
    for row in rows:
        assert all(value in row.text for value in (*row.public, *row.private))
        assert row.public or row.private
    halves = {r.set for r in rows}
    assert halves == {"contrast/dev", "contrast/held-out"}
    assert [pe.contrast_split(r.id) for r in rows] == [r.set.split("/")[1] for r in rows]


def test_the_routellm_samples_are_disjoint_and_the_unseen_ones_are_scored_apart() -> None:
    questions = pe.load_routellm()  # ../shared/data/routellm, beside the checkout in CI
    counts = Counter(q.set for q in questions)
    assert [counts[f"mmlu{s}"] for s in ("", " held-out", " unseen")] == [300, 300, 300]
    by_set: dict[str, set[str]] = {}
    for q in questions:
        by_set.setdefault(q.set, set()).add(q.text)
    mmlu = [by_set["mmlu"], by_set["mmlu held-out"], by_set["mmlu unseen"]]
    assert not (mmlu[0] & mmlu[1]) and not (mmlu[0] & mmlu[2]) and not (mmlu[1] & mmlu[2])
    assert len(by_set["gsm8k unseen"]) == 200 and not by_set["gsm8k unseen"] & by_set["gsm8k"]
    unseen = pe.Question("mmlu unseen", "0", "x")
    assert pe._sets_of(unseen) == ["mmlu unseen", "routellm unseen"]


def test_public_names_must_arrive_verbatim_and_private_ones_not_at_all() -> None:
    question = pe.Question("contrast/dev", "x", "Is Tom in Paris?", ("Paris",), ("Tom",))
    assert pe.public_intact(question, Sent("allow", "Is [PERSON_1] in Paris?"))
    assert not pe.public_intact(question, Sent("redact", "Is [PERSON_1] in [LOCATION_1]?"))
    assert not pe.public_intact(question, Sent("keep_local", None))
    assert pe.private_caught(question, Sent("allow", "Is TOM in Paris?")) == [False]
    assert pe.private_caught(question, Sent("keep_local", None)) == [True]


def test_figures_add_up_per_set() -> None:
    path = TandemPath(default_scanner(ner=False))
    rows = pe.load_contrast()[:6]
    figures = pe.measure(path, rows)
    total = figures["contrast/all"]
    assert total.queries == 6 == sum(total.routes.values())
    assert total.public_rows == 6 and 0 <= total.public_ok <= 6
    lines = pe.report(figures, {})
    assert lines[0].startswith("set") and any(line.startswith("contrast/all") for line in lines)


def test_public_benchmark_questions_are_scored_by_the_hand_labels() -> None:
    labels = {"Paris": "public", "Janet": "fictional", "A.\\nB.": "word"}
    fictional = Sent("redact", "Did [PERSON_1] go?", (("Janet", "[PERSON_1]"),))
    assert not pe.public_entities_masked(fictional, labels)
    public = Sent("redact", "Is it [LOCATION_1]?", (("Paris", "[LOCATION_1]"),))
    assert pe.public_entities_masked(public, labels) == ["Paris"]
    # A value nobody labelled counts as public knowledge masked (the conservative side).
    unknown = Sent("redact", "Is it [LOCATION_1]?", (("Lyon", "[LOCATION_1]"),))
    assert pe.public_entities_masked(unknown, labels) == ["Lyon"] and pe.unlabelled(unknown, labels)
    escaped = Sent("redact", "[NAME_LIKE_1]", (("A.\nB.", "[NAME_LIKE_1]"),))
    assert not pe.public_entities_masked(escaped, labels)


def test_the_shipped_labels_file_has_one_known_label_per_value() -> None:
    labels = pe.load_labels()
    assert len(labels) > 2000
    assert set(labels.values()) == {"public", "fictional", "word"}


def test_names_in_doubt_are_counted_and_a_judge_on_the_path_decides_them() -> None:
    """As a cloud turn's scan: private without a judge, public when it answers so."""
    question = pe.Question(
        "contrast/dev", "h", "Compose a travel blog post about Hawaii.", ("Hawaii",)
    )
    without = pe.measure(TandemPath(default_scanner(ner=False)), [question])["contrast/all"]
    assert (without.in_doubt, without.public_ok) == (1, 0)
    scanner = default_scanner(ner=False)
    device = FunctionEndpoint(lambda call: "1. public", name="local", kind="local")
    judge = scanner.judge = DeviceJudge(lambda: device)
    path = TandemPath(scanner)
    judged = pe.measure(path, [question])["contrast/all"]
    path.close()
    assert (judged.in_doubt, judged.public_ok) == (1, 1)
    assert pe.judge_line(judge).startswith("judge: 1 prompts (0 failed)")
    assert pe.doubt_line({"contrast/all": judged}, [0, 2]).endswith("contrast/all 1/1, PUPA 1/2")
