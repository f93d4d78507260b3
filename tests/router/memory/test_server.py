"""Server mode against a real `chroma run`: keep-local turns never reach the server."""

from __future__ import annotations

from pathlib import Path

import chromadb
import pytest

from router.memory.embedding import MiniLMEmbedder
from router.memory.errors import MemoryServerError
from router.memory.index import chroma_settings
from router.memory.settings import MemorySettings
from router.memory.store import memory_folder, open_memory
from router.paths import TandemPaths
from router.runtime.memory import open_private_memory
from tests.router.memory.conftest import free_port, make_turn


def _server_ids(url: str, collection: str) -> set[str]:
    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=chroma_settings())
    ids = set(client.get_collection(collection).get(include=[])["ids"])
    client.close()
    return ids


def _paths(tmp_path: Path) -> TandemPaths:
    return TandemPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data")


def test_keep_local_turns_stay_on_the_device(
    chroma_server: str, tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    settings = MemorySettings(server_url=chroma_server, collection="keep-local-test")
    paths = _paths(tmp_path)
    secret = make_turn(
        "s1",
        0,
        "My HIV test came back positive.",
        "I'm sorry. Here is how to find care.",
        privacy="keep_local",
    )
    shared = make_turn("s1", 1, "What are HIV treatments?", "Antiretroviral therapy (ART).")
    with open_private_memory(paths, settings, embedder) as memory:
        assert memory.add_turns([secret, shared]) == 2
        assert _server_ids(chroma_server, "keep-local-test") == {shared.id}
        hits = {h.turn_id: h for h in memory.search("treatments", k=5)}
        assert set(hits) == {secret.id, shared.id}
        assert (hits[secret.id].stored, hits[secret.id].privacy_action) == ("device", "keep_local")
        assert (hits[shared.id].stored, hits[shared.id].privacy_action) == ("server", "allow")
        # A query the default rules keep local (the user's own health) searches this device
        # only; a bare "HIV" is a general question since the rule general-topic.
        assert [h.turn_id for h in memory.search("my HIV test", k=5)] == [secret.id]
        assert memory.count_by() == {"device": 1, "server": 1, "keep_local": 1}

        # A turn re-labelled keep-local later leaves the server.
        relabelled = make_turn("s1", 1, shared.user_text, shared.answer, privacy="keep_local")
        memory.add_turn(relabelled.model_copy(update={"id": shared.id}))
        assert _server_ids(chroma_server, "keep-local-test") == set()
        assert memory.count() == 2

    # A second device, without the keep-local data, sees only what the server holds.
    other = _paths(tmp_path / "other-device")
    with open_private_memory(other, settings, embedder) as memory:
        memory.add_turn(make_turn("s9", 0, "Shared from device two", "hello"))
        assert [h.user_text for h in memory.search("treatments", k=5)] == ["Shared from device two"]
    assert memory_folder(paths).exists()


def test_unreachable_server_is_a_clear_error(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    settings = MemorySettings(server_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(MemoryServerError) as caught:
        open_private_memory(_paths(tmp_path), settings, embedder)
    assert "127.0.0.1" in caught.value.message
    assert "chroma run" in caught.value.hint


def test_server_mode_rebuild_replaces_only_this_ledgers_conversations(
    chroma_server: str, tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    from router.ledger.store import Ledger

    ledger = Ledger(tmp_path / "ledger.sqlite3")
    session = ledger.create_session()
    turn = ledger.begin_turn(session, "What is the boiling point of water?")
    ledger.finish_turn(
        turn.id, status="complete", answer="100 °C at sea level.", route=None, usage=None
    )
    settings = MemorySettings(server_url=chroma_server, collection="rebuild-test")
    with open_private_memory(_paths(tmp_path), settings, embedder) as memory:
        stale_local = make_turn(session, 5, "stale", "stale", privacy="keep_local")
        stale_shared = make_turn(session, 6, "stale", "stale")
        other_device = make_turn("other-device-session", 0, "kept", "kept")
        memory.add_turns([stale_local, stale_shared, other_device])
        assert memory.rebuild(ledger) == 1
        assert memory.count_by() == {"device": 0, "server": 2, "keep_local": 0}
        assert _server_ids(chroma_server, "rebuild-test") == {turn.id, other_device.id}
    ledger.close()


def test_a_server_without_the_privacy_layer_is_refused(tmp_path: Path) -> None:
    settings = MemorySettings(server_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(MemoryServerError) as caught:
        open_memory(_paths(tmp_path), settings)
    assert "open_private_memory" in caught.value.hint
