"""Privacy-scan speed: Tandem's fast path and full scan vs Presidio, in one run.

    .venv/bin/python benchmarks/privacy_scan.py [--turns N] [--doc-bytes B]

Measures p50/p99 latency for ~2 KB turns (built from the Presidio synthetic
dataset's texts) and throughput (MB/s) on one ~1 MB document:

* fast  : pattern/secret/topic detectors only (no NER)
* full  : every default detector, NER (spaCy small model via Presidio) included
* presidio: Presidio's stock `AnalyzerEngine.analyze` (all recognizers) on the
  same bundled spaCy model (`en_core_web_lg` is not installed)

Model loading is done before timing. The document is capped at 1,000,000
characters (spaCy's default `max_length`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "data" / "pii" / "presidio_synth_dataset_v2.json"
SPACY_MAX = 1_000_000


def _texts() -> list[str]:
    rows = json.loads(DATASET.read_text(encoding="utf-8"))
    return [r["full_text"] for r in rows if r["full_text"].strip()]


def make_turns(texts: list[str], count: int, size: int = 2048) -> list[str]:
    """Return `count` turns of about `size` characters, cycling through `texts`."""
    turns, i = [], 0
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < size:
            parts.append(texts[i % len(texts)])
            i += 1
        turns.append("\n".join(parts)[:size])
    return turns


def make_document(texts: list[str], size: int) -> str:
    """Return one document of `size` characters made of the dataset's texts."""
    parts, total, i = [], 0, 0
    while total < size:
        parts.append(texts[i % len(texts)])
        total += len(parts[-1]) + 1
        i += 1
    return "\n".join(parts)[:size]


def _detectors() -> tuple[list[Any], list[Any]]:
    """Return (fast detectors, all detectors)."""
    try:
        from router.privacy.detectors.registry import default_detectors

        every = list(default_detectors())
    except ImportError:
        from router.privacy.detectors.ner import NerDetector
        from router.privacy.detectors.patterns import PatternDetector

        every = [PatternDetector(), NerDetector()]
    return [d for d in every if d.name != "ner"], every


def _runner(detectors: list[Any]) -> Callable[[str], int]:
    def scan(text: str) -> int:
        return sum(len(d.detect(text)) for d in detectors)

    return scan


def _presidio() -> Callable[[str], int]:
    from router.privacy.detectors.ner import build_analyzer

    analyzer = build_analyzer(presidio_defaults=True)
    return lambda text: len(analyzer.analyze(text=text, language="en"))


def measure(scan: Callable[[str], int], turns: list[str], document: str) -> dict[str, float]:
    """Time each turn (after a warm-up) and the whole document."""
    scan(turns[0])
    times = []
    for turn in turns:
        t0 = time.perf_counter()
        scan(turn)
        times.append(time.perf_counter() - t0)
    times.sort()
    t0 = time.perf_counter()
    scan(document)
    doc_s = time.perf_counter() - t0
    return {
        "p50_ms": statistics.median(times) * 1e3,
        "p99_ms": times[min(len(times) - 1, int(0.99 * len(times)))] * 1e3,
        "mb_per_s": len(document.encode("utf-8")) / 1e6 / doc_s,
        "doc_s": doc_s,
    }


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="2 KB turns timed per system")
    parser.add_argument("--doc-bytes", type=int, default=SPACY_MAX, help="document size")
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args()
    texts = _texts()
    turns = make_turns(texts, args.turns)
    document = make_document(texts, min(args.doc_bytes, SPACY_MAX))
    fast, every = _detectors()
    systems = {
        "tandem fast (no NER)": _runner(fast),
        "tandem full (+NER)": _runner(every),
        "presidio analyze": _presidio(),
    }
    results: dict[str, dict[str, float]] = {}
    for name, scan in systems.items():
        results[name] = measure(scan, turns, document)
    print(f"{len(turns)} turns of 2048 chars; document {len(document):,} chars")
    print(f"fast detectors: {[d.name for d in fast]}; full adds: ner")
    print(f"{'SYSTEM':<24} {'p50 ms':>8} {'p99 ms':>8} {'MB/s':>8} {'doc s':>7}")
    for name, r in results.items():
        print(
            f"{name:<24} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['mb_per_s']:8.2f} "
            f"{r['doc_s']:7.2f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
