"""What a shared memory server receives: only what may leave the device.

Against a real `chroma run`; every request the store makes is recorded at the
HTTP transport, so the tests assert on the bytes that reached the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import chromadb
import httpx
import numpy as np
import pytest

from router.endpoints.fake import FakeEndpoint
from router.errors import EgressBlockedError
from router.ledger.database import Database
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.wire_log import WireLog
from router.memory.embedding import MiniLMEmbedder
from router.memory.index import EmbeddedIndex, chroma_settings, close_client
from router.memory.server_index import ServerIndex
from router.memory.store import MemoryStore
from router.paths import TandemPaths
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer
from router.runtime.compose import build_runtime
from router.runtime.memory import PolicyGuard, PseudonymRedactor
from router.settings.config import load_settings
from router.types import ProtectedValue
from tests.router.memory.conftest import make_turn

EMAIL, NAME = "ana.souza@example.com", "Ana Souza"


class Recorder(httpx.BaseTransport):
    """The network transport, keeping a copy of every request it sends."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[tuple[str, str, bytes]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path, request.read()))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def sent(self) -> bytes:
        return b"\n".join(body for _, _, body in self.requests)


@pytest.fixture
def pseudonyms() -> PseudonymStore:
    """A session `s1` whose email and name a redact rule gave placeholders."""
    store = PseudonymStore()
    Pseudonymizer(store, "s1").register(
        [
            ProtectedValue(type="EMAIL_ADDRESS", value=EMAIL, action="redact"),
            ProtectedValue(type="PERSON", value=NAME, action="redact"),
        ]
    )
    return store


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


class Screen:
    """The privacy rules on a search query, as a test fixes them: HIV stays, a name is redacted."""

    def shareable(self, query: str) -> str | None:
        if "HIV" in query:
            return None
        return query.replace(NAME, "[PERSON_1]")


def _open(
    url: str,
    name: str,
    folder: Path,
    embedder: MiniLMEmbedder,
    pseudonyms: PseudonymStore,
    recorder: Recorder,
    policy: EgressPolicy | None = None,
    screen: Screen | None = None,
) -> MemoryStore:
    server = ServerIndex(url, name, guard=PolicyGuard(policy or EgressPolicy()), transport=recorder)
    redactor = PseudonymRedactor(pseudonyms)
    return MemoryStore(
        EmbeddedIndex(folder, name), server, embedder, redactor=redactor, screen=screen
    )


@pytest.fixture
def memory(
    chroma_server: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    pseudonyms: PseudonymStore,
    recorder: Recorder,
) -> Iterator[MemoryStore]:
    name = request.node.name.replace("_", "-")[:60]
    store = _open(chroma_server, name, tmp_path / "memory", embedder, pseudonyms, recorder)
    yield store
    store.close()


class ServerRows(NamedTuple):
    """What the server holds, by turn id."""

    documents: dict[str, str]
    embeddings: dict[str, np.ndarray]


def _server_rows(url: str, collection: str) -> ServerRows:
    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=chroma_settings())
    rows = client.get_collection(collection).get(include=["documents", "embeddings"])
    close_client(client)
    ids, docs, vectors = rows["ids"], rows["documents"], rows["embeddings"]
    assert docs is not None and vectors is not None
    return ServerRows(
        documents=dict(zip(ids, docs, strict=True)),
        embeddings={i: np.asarray(v) for i, v in zip(ids, vectors, strict=True)},
    )


def test_redact_level_turns_reach_the_server_only_as_placeholders(
    memory: MemoryStore,
    chroma_server: str,
    request: pytest.FixtureRequest,
    recorder: Recorder,
    embedder: MiniLMEmbedder,
) -> None:
    redacted = make_turn(
        "s1",
        0,
        f"Write to {NAME} at {EMAIL} about the invoice.",
        f"Here is a draft for {NAME} ({EMAIL}): Dear {NAME}, ...",
        privacy="redact",
    )
    # Later turns of the session went to the cloud redacted too, whatever their own verdict.
    later = make_turn("s1", 1, f"Make it shorter for {NAME}.", "Dear Ana, ...")
    assert memory.add_turns([redacted, later]) == 2

    rows = _server_rows(chroma_server, request.node.name.replace("_", "-")[:60])
    docs = rows.documents
    assert docs[redacted.id] == (
        "Write to [PERSON_1] at [EMAIL_ADDRESS_1] about the invoice.\n\n"
        "Here is a draft for [PERSON_1] ([EMAIL_ADDRESS_1]): Dear [PERSON_1], ..."
    )
    assert docs[later.id] == "Make it shorter for [PERSON_1].\n\nDear Ana, ..."
    for value in (EMAIL, NAME, "ana.souza"):
        assert value.encode() not in recorder.sent()
    # The vector is of the placeholder text: the clear text's would carry what they hide.
    expected = embedder.embed_one(docs[redacted.id])
    assert np.allclose(rows.embeddings[redacted.id], expected.ravel(), atol=1e-5)


def test_keep_local_turns_send_nothing_but_their_random_id(
    memory: MemoryStore, recorder: Recorder
) -> None:
    secret = make_turn(
        "s1", 0, "My HIV test came back positive.", "I'm sorry.", privacy="keep_local"
    )
    assert memory.add_turn(secret)
    assert b"HIV" not in recorder.sent()
    assert memory.count_by()["server"] == 0


def test_keep_mine_turns_send_nothing_but_their_random_id_either(
    memory: MemoryStore, recorder: Recorder
) -> None:
    # A memory server is never one of the user's devices: keep_mine turns stay here too.
    secret = make_turn("s1", 0, "The Falcon budget is 3M.", "Noted.", privacy="keep_mine")
    assert memory.add_turn(secret)
    assert b"Falcon" not in recorder.sent()
    assert memory.count_by()["server"] == 0


def test_a_session_search_sends_no_query_embedding_to_the_server(
    memory: MemoryStore, recorder: Recorder
) -> None:
    shared = make_turn("s1", 0, "What are HIV treatments?", "Antiretroviral therapy (ART).")
    secret = make_turn(
        "s1", 1, "My HIV test came back positive.", "I'm sorry.", privacy="keep_local"
    )
    memory.add_turns([shared, secret])
    recorder.requests.clear()

    hits = memory.search("My HIV test came back positive, what now?", session_id="s1", k=5)

    assert {h.turn_id: h.stored for h in hits} == {shared.id: "server", secret.id: "device"}
    assert [path for _, path, _ in recorder.requests if path.endswith("/query")] == []
    # The server only learns which conversation is read: its random id.
    assert b"HIV" not in recorder.sent()


def test_a_device_only_search_sends_nothing_to_the_server(
    memory: MemoryStore, recorder: Recorder
) -> None:
    # ask_local recalls across every conversation, and its question must stay here.
    shared = make_turn("s1", 0, "What are HIV treatments?", "Antiretroviral therapy (ART).")
    secret = make_turn(
        "s2", 0, "My HIV test came back positive.", "I'm sorry.", privacy="keep_local"
    )
    memory.add_turns([shared, secret])
    recorder.requests.clear()

    hits = memory.search("My HIV test came back positive, what now?", k=5, device_only=True)

    assert [h.turn_id for h in hits] == [secret.id]
    assert recorder.requests == []


@pytest.fixture
def screened(
    chroma_server: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    pseudonyms: PseudonymStore,
    recorder: Recorder,
) -> Iterator[MemoryStore]:
    """A store whose cross-conversation searches ask the rules what of the query may leave."""
    name = request.node.name.replace("_", "-")[:60]
    folder = tmp_path / "memory"
    with _open(chroma_server, name, folder, embedder, pseudonyms, recorder, screen=Screen()) as m:
        shared = make_turn("s1", 0, "What are HIV treatments?", "Antiretroviral therapy (ART).")
        secret = make_turn(
            "s2", 0, "My HIV test came back positive.", "I'm sorry.", privacy="keep_local"
        )
        m.add_turns([shared, secret])
        recorder.requests.clear()
        yield m


def _queries(recorder: Recorder) -> list[bytes]:
    return [body for _, path, body in recorder.requests if path.endswith("/query")]


def test_a_keep_local_query_searches_this_device_only(
    screened: MemoryStore, recorder: Recorder
) -> None:
    found = screened.search_report("My HIV test came back positive, what now?", k=5)
    assert found.server_skipped and {h.stored for h in found.hits} == {"device"}
    assert "not searched" in found.note and "keeps this query on this device" in found.note
    assert _queries(recorder) == [] and b"HIV" not in recorder.sent()
    # The plain `search` takes the same decision.
    screened.search("My HIV test came back positive, what now?", k=5)
    assert recorder.requests == []


def test_a_redact_level_query_reaches_the_server_as_its_placeholder_text(
    screened: MemoryStore, recorder: Recorder, embedder: MiniLMEmbedder
) -> None:
    found = screened.search_report(f"Ask {NAME} about antiretroviral therapy", k=5)
    assert not found.server_skipped and found.note == ""
    (query,) = _queries(recorder)
    sent = np.asarray(json.loads(query)["query_embeddings"][0])
    shown = embedder.embed_one("Ask [PERSON_1] about antiretroviral therapy").ravel()
    clear = embedder.embed_one(f"Ask {NAME} about antiretroviral therapy").ravel()
    assert np.allclose(sent, shown, atol=1e-5) and not np.allclose(sent, clear, atol=1e-3)


def test_an_allowed_query_is_searched_on_the_server_too(
    screened: MemoryStore, recorder: Recorder
) -> None:
    hits = screened.search("antiretroviral therapy", k=5)
    assert "server" in {h.stored for h in hits} and len(_queries(recorder)) == 1


def test_without_the_rules_no_query_goes_to_the_server(
    memory: MemoryStore, recorder: Recorder
) -> None:
    memory.add_turn(make_turn("s1", 0, "What is a sonnet?", "A fourteen-line poem."))
    recorder.requests.clear()
    assert memory.search_report("sonnet", k=5).server_skipped
    assert _queries(recorder) == []


def test_the_egress_guard_blocks_a_protected_value_on_its_way_to_the_server(
    chroma_server: str,
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    pseudonyms: PseudonymStore,
    recorder: Recorder,
) -> None:
    policy = EgressPolicy()
    name = "guard-test"
    store = _open(chroma_server, name, tmp_path / "memory", embedder, pseudonyms, recorder, policy)
    leaky = make_turn("s2", 0, "Call me on +1 415 555 0100.", "Noted.")
    with store, policy.protect(["+1 415 555 0100"]), pytest.raises(EgressBlockedError):
        store.add_turn(leaky)
    assert b"555 0100" not in recorder.sent()
    assert _server_rows(chroma_server, name).documents == {}


def test_every_request_to_the_server_is_recorded_and_a_blocked_one_is_marked(
    chroma_server: str,
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    pseudonyms: PseudonymStore,
    recorder: Recorder,
) -> None:
    log = WireLog(Database())
    policy = EgressPolicy(recorder=log)
    store = _open(
        chroma_server, "record-test", tmp_path / "m", embedder, pseudonyms, recorder, policy
    )
    with store:
        store.add_turn(make_turn("s3", 0, "What is a haiku?", "A short poem."))
        with policy.protect(["+1 415 555 0100"]), pytest.raises(EgressBlockedError):
            store.add_turn(make_turn("s3", 1, "Call +1 415 555 0100.", "Noted."))
    rows = log.recent(limit=1000)
    assert len([r for r in rows if r.outcome != "blocked"]) == len(recorder.requests)
    assert {r.endpoint for r in rows} == {f"memory server {chroma_server}"}
    assert all(r.status is not None for r in rows if r.outcome == "sent")
    (blocked,) = [r for r in rows if r.outcome == "blocked"]
    assert blocked.body == "" and blocked.path.endswith("/upsert")
    assert any("A short poem." in r.body for r in rows)
    assert not any("555 0100" in r.body for r in rows)


async def test_the_running_app_indexes_on_the_server_what_the_cloud_saw(
    chroma_server: str, tandem_home: TandemPaths
) -> None:
    settings = load_settings(tandem_home)
    settings.memory.server_url, settings.memory.collection = chroma_server, "runtime-test"
    runtime = build_runtime(
        tandem_home, settings, endpoints={"local": FakeEndpoint(name="local", kind="local")}
    )
    # The pipeline's own placeholders, as a redacted cloud turn leaves them.
    Pseudonymizer(runtime.pipeline.pseudonyms, "s1").register(
        [ProtectedValue(type="EMAIL_ADDRESS", value=EMAIL, action="redact")]
    )
    turn = make_turn("s1", 0, f"Mail {EMAIL} the invoice.", f"Sent to {EMAIL}.", privacy="redact")
    assert runtime.memory is not None
    await runtime.memory.index(turn)
    # The runtime's egress guard covers the memory server as it covers the endpoints.
    phone = make_turn("s2", 0, "Call +1 415 555 0100.", "Noted.")
    with (
        runtime.pipeline.egress_policy.protect(["+1 415 555 0100"]),
        pytest.raises(EgressBlockedError),
    ):
        await runtime.memory.index(phone)
    await runtime.aclose()

    rows = _server_rows(chroma_server, "runtime-test")
    stored = "Mail [EMAIL_ADDRESS_1] the invoice.\n\nSent to [EMAIL_ADDRESS_1]."
    assert list(rows.documents.values()) == [stored]
