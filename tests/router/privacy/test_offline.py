"""Scanning never reaches the network: libraries that fetch on their own are kept offline.

Outbound sockets are blocked (tests/support/offline.py); any attempt fails the test
and names the host. Presidio's e-mail recognizer validates domains with
`tldextract`, which by default downloads the public suffix list on first use.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.cli import main
from router.ledger.store import Ledger
from router.paths import TandemPaths
from router.privacy.detectors.registry import default_detectors
from router.privacy.scan import Scanner
from router.runtime.compose import build_runtime
from router.types import TurnRequest
from tests.router.memory.conftest import chroma_server  # noqa: F401 (a fixture)
from tests.support.fault_server import CLOUD_TEXT, FaultServer
from tests.support.missing import missing
from tests.support.offline import block_outbound
from tests.support.pipeline import collect, finished, make_pipeline

TEXT = (
    "John Smith in Paris: mail bob@example.co.uk, see https://example.co.uk/page, "
    "card 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstuv"
)


@pytest.fixture
def fresh_tldextract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """tldextract as a fresh install has it: no cached suffix list, the default (online) URLs."""
    try:
        import tldextract
    except ImportError:
        missing("tldextract (the `ner` extra) is not installed")
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


@pytest.mark.usefixtures("fresh_tldextract")
async def test_a_cloud_turn_reaches_only_its_configured_endpoint(
    monkeypatch: pytest.MonkeyPatch, tandem_home: TandemPaths, tiny_gguf: Path
) -> None:
    # The whole runtime as configured: real detectors and rules, the anthropic SDK, the
    # memory index; the one endpoint configured listens on loopback, everything else is shut.
    attempts = block_outbound(monkeypatch)
    monkeypatch.setenv("TANDEM_LOCAL__MODEL", str(tiny_gguf))
    monkeypatch.setenv("CLOUD_KEY", "sk-ant-api03-offline-test-key-000000000000000")
    async with FaultServer(["ok"]) as cloud:
        tandem_home.config_file.write_text(
            '[routing]\npolicy = "prefer_remote"\n[generation]\nmax_tokens = 8\n'
            '[[endpoints]]\nname = "cloud"\nkind = "cloud"\napi = "anthropic"\n'
            f'model = "claude-haiku-4-5"\nbase_url = "{cloud.url}"\napi_key_env = "CLOUD_KEY"\n'
        )
        runtime = build_runtime(tandem_home)
        try:
            sent = finished(await collect(runtime.pipeline, "Tell me a story about a cat.")).turn
            kept = finished(await collect(runtime.pipeline, TEXT, session_id="other")).turn
            await runtime.pipeline.drain()  # the memory index, after the turns
        finally:
            await runtime.aclose()
    assert sent.route is not None and sent.route.endpoint == "cloud"
    assert sent.answer == CLOUD_TEXT and cloud.requests == 1
    assert kept.route is not None and kept.route.endpoint == "local"  # the card keeps it here
    assert attempts == []


@pytest.mark.usefixtures("fresh_tldextract")
@pytest.mark.parametrize("where", ["device", "device and server"])
def test_an_index_rebuild_and_search_make_no_outbound_connection(
    where: str,
    monkeypatch: pytest.MonkeyPatch,
    tandem_home: TandemPaths,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    if where == "device and server":  # a shared memory server, configured, on loopback
        url = request.getfixturevalue("chroma_server")
        tandem_home.config_file.write_text(f'[memory]\nserver_url = "{url}"\n')
    ledger = Ledger(tandem_home.ledger_file)
    session = ledger.create_session("Bread")
    turn = ledger.begin_turn(session, "How do I keep my sourdough starter alive?")
    ledger.finish_turn(turn.id, status="complete", answer="Feed it daily.", route=None, usage=None)
    ledger.close()
    attempts = block_outbound(monkeypatch)
    # The embedding model comes from an installed package; Chroma runs embedded.
    assert main(["memory", "rebuild"]) == 0
    # Across conversations: with a server, the rules (NER, tldextract) screen the query.
    assert main(["memory", "search", "feeding a bread starter"]) == 0
    out = capsys.readouterr().out
    assert f"({where})" in out and "sourdough" in out
    assert attempts == []
