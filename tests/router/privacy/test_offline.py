"""Scanning never reaches the network: libraries that fetch on their own are kept offline.

Outbound sockets are blocked (tests/support/offline.py); any attempt fails the test
and names the host. Presidio's e-mail recognizer validates domains with
`tldextract`, which by default downloads the public suffix list on first use.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from router.privacy.detectors.registry import default_detectors
from router.privacy.scan import Scanner
from router.types import TurnRequest
from tests.support.offline import block_outbound
from tests.support.pipeline import collect, finished, make_pipeline

TEXT = (
    "John Smith in Paris: mail bob@example.co.uk, see https://example.co.uk/page, "
    "card 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstuv"
)


@pytest.fixture
def fresh_tldextract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """tldextract as a fresh install has it: no cached suffix list, the default (online) URLs."""
    tldextract = pytest.importorskip("tldextract")
    monkeypatch.setattr(
        tldextract.tldextract, "TLD_EXTRACTOR", tldextract.TLDExtract(cache_dir=str(tmp_path))
    )


@pytest.mark.usefixtures("fresh_tldextract")
def test_presidio_analyzer_checks_domains_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from router.privacy.detectors.ner import build_analyzer

    attempts = block_outbound(monkeypatch)
    # Presidio's stock recognizers (the privacy benchmark's baseline) include the
    # e-mail one, whose domain check is where the suffix list would be fetched.
    analyzer = build_analyzer(presidio_defaults=True)
    results = analyzer.analyze(text=TEXT, language="en")
    assert "EMAIL_ADDRESS" in {r.entity_type for r in results}
    assert attempts == []


@pytest.mark.usefixtures("fresh_tldextract")
def test_a_full_scan_and_a_local_turn_make_no_outbound_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts = block_outbound(monkeypatch)
    scanner = Scanner(detectors=default_detectors())
    report = scanner.scan(TurnRequest(session_id="s", text=TEXT), [])
    found = {f.type for f in report.findings}
    assert {"CREDIT_CARD", "EMAIL_ADDRESS", "PERSON"} <= found
    pipeline = make_pipeline(scanner=scanner)
    turn = finished(asyncio.run(collect(pipeline, TEXT))).turn
    assert turn.route is not None and turn.route.endpoint == "local"
    assert attempts == []
