"""The conversation list: listing, opening, renaming, deleting and searching."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from app.gui.chat.conversations.view_model import ConversationsViewModel
from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.memory.records import SERVER_SKIPPED, MemorySearch
from router.memory.store import MemoryStore
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]


def local() -> FakeEndpoint:
    return FakeEndpoint(name="local", kind="local")


async def two_conversations(runtime: Runtime) -> tuple[str, str]:
    chat = ChatViewModel(runtime)
    await chat.send("Plan a trip to Lisbon in spring")
    trip = chat.session_id
    chat.new_conversation()
    await chat.send("How do I bake sourdough bread?")
    return trip, chat.session_id


async def test_the_list_shows_conversations_newest_first(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local()) as runtime:
        trip, bread = await two_conversations(runtime)
        changes: list[None] = []
        vm = ConversationsViewModel(runtime, on_change=lambda: changes.append(None))
        vm.refresh()
        assert [(i.id, i.title, i.turns) for i in vm.items] == [
            (bread, "How do I bake sourdough bread?", 1),
            (trip, "Plan a trip to Lisbon in spring", 1),
        ]
        assert changes == [None]


async def test_open_shows_that_conversation_and_continues_it(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        trip, _ = await two_conversations(runtime)
        chat = ChatViewModel(runtime)
        chat.open_conversation(trip)
        assert [m.text for m in chat.messages] == [
            "Plan a trip to Lisbon in spring",
            "echo: Plan a trip to Lisbon in spring",
        ]
        await chat.send("and in summer?")
        assert len(runtime.ledger.turns(trip)) == 2


async def test_rename_retitles_and_rejects_blank_titles(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local()) as runtime:
        trip, _ = await two_conversations(runtime)
        vm = ConversationsViewModel(runtime)
        vm.start_rename(trip)
        assert vm.renaming == trip
        vm.rename(trip, "  Lisbon   trip ")
        assert vm.renaming is None
        assert {i.id: i.title for i in vm.items}[trip] == "Lisbon trip"
        vm.rename(trip, "   ")  # blank: the old title stays
        assert {s.id: s.title for s in runtime.ledger.sessions()}[trip] == "Lisbon trip"
        vm.rename("not-saved-yet", "Draft")
        assert vm.error is not None and "no turns yet" in vm.error
        with pytest.raises(ValueError, match="cannot be empty"):
            runtime.ledger.rename_session(trip, " ")


async def test_delete_removes_the_turns_and_everything_kept_per_session(
    tandem_home: TandemPaths,
) -> None:
    runtime = build_runtime(tandem_home, endpoints={"local": local()})
    try:
        trip, bread = await two_conversations(runtime)
        runtime.pipeline.pseudonyms.placeholder(trip, "EMAIL_ADDRESS", "a@b.example")
        vm = ConversationsViewModel(runtime)
        await vm.delete(trip)
        assert [i.id for i in vm.items] == [bread]
        assert runtime.ledger.turns(trip) == []
        assert runtime.pipeline.pseudonyms.values(trip) == {}
        assert len(runtime.ledger.turns(bread)) == 1
        assert not runtime.ledger.delete_session(trip)  # already gone
    finally:
        await runtime.aclose()


async def test_search_without_memory_matches_titles_then_turn_text(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_MEMORY__ENABLED", "false")
    async with fake_runtime(local()) as runtime:
        assert runtime.memory is None
        trip, bread = await two_conversations(runtime)
        chat = ChatViewModel(runtime)
        chat.open_conversation(trip)
        await chat.send("Which bread should I try there?")
        vm = ConversationsViewModel(runtime)

        await vm.search("sourdough")
        assert [(i.id, i.match) for i in vm.items] == [(bread, "title matches")]
        await vm.search("BREAD")
        assert [(i.id, i.match) for i in vm.items] == [
            (bread, "title matches"),
            (trip, "Which bread should I try there?"),
        ]
        await vm.search("volcano")
        assert vm.items == [] and vm.query == "volcano" and not vm.searching
        await vm.search("  ")
        assert [i.id for i in vm.items] == [bread, trip] and vm.query == ""


async def test_search_asks_the_memory_index_for_similar_turns(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        assert runtime.memory is not None  # the real Chroma index, in TANDEM_HOME
        trip, bread = await two_conversations(runtime)
        await runtime.pipeline.drain()  # the turns are indexed after they are answered
        vm = ConversationsViewModel(runtime)

        # No title contains these words: only the embedding search can find them.
        await vm.search("holiday in Portugal")
        assert vm.items[0].id == trip and vm.error is None
        assert vm.items[0].match.startswith("Plan a trip to Lisbon in spring → echo:")
        await vm.search("baking a loaf")
        assert vm.items[0].id == bread

        await vm.delete(bread)
        await vm.search("baking a loaf")
        assert bread not in [i.id for i in vm.items]


class _DeviceOnlyStore:
    """A memory whose server a privacy rule kept this search away from."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def search_report(self, query: str, *, k: int) -> MemorySearch:
        return MemorySearch(self.store.search(query, k=k), server_skipped=True)


async def test_a_search_kept_off_the_memory_server_says_so(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        trip, _ = await two_conversations(runtime)
        await runtime.pipeline.drain()
        memory = runtime.memory
        assert memory is not None
        device_only = _DeviceOnlyStore(memory.store())
        memory.store = lambda: device_only  # type: ignore[method-assign,assignment,return-value]
        vm = ConversationsViewModel(runtime)
        await vm.search("holiday in Portugal")
        assert vm.items[0].id == trip and vm.notice == SERVER_SKIPPED
        await vm.search("  ")
        assert vm.notice is None


async def test_a_failing_memory_index_still_matches_titles_and_says_why(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        trip, _ = await two_conversations(runtime)
        assert runtime.memory is not None

        def broken_store() -> None:
            raise RuntimeError("index is locked")

        runtime.memory.store = broken_store  # type: ignore[method-assign,assignment]
        vm = ConversationsViewModel(runtime)
        await vm.search("Lisbon")
        assert [i.id for i in vm.items] == [trip] and not vm.searching
        assert vm.error == (
            "only titles were searched; the memory index failed: RuntimeError: index is locked"
        )


async def test_rebuilding_the_index_shows_progress_and_brings_search_back(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        trip, bread = await two_conversations(runtime)
        await runtime.pipeline.drain()
        assert runtime.memory is not None
        for session in (trip, bread):  # an index that lost its entries (e.g. damaged, removed)
            runtime.memory.store().delete_session(session)
        seen: list[float | None] = []
        vm = ConversationsViewModel(runtime)
        vm.on_change = lambda: seen.append(vm.rebuild_progress)
        await vm.search("holiday in Portugal")
        assert trip not in [i.id for i in vm.items]  # the emptied index finds nothing

        seen.clear()
        await vm.rebuild_index()
        assert vm.notice == "search index rebuilt: 2 turns indexed" and vm.error is None
        assert seen[0] == 0.0 and 1.0 in seen and vm.rebuild_progress is None
        await vm.search("holiday in Portugal")
        assert vm.items[0].id == trip
