"""`ask_local` answers with the device's own capabilities: shared files and earlier conversations.

The device model is scripted (tests/support/tool_endpoint.py), so each test sees
exactly what it was offered and sent; the runtime around it is the real one
(settings, tool host, memory index, ledger).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from mcp import Client
from mcp_types import TextContent

from mcp_servers.assistant import build_assistant_server
from router.endpoints.base import Endpoint
from router.endpoints.function import EndpointCall, FunctionEndpoint
from router.paths import TandemPaths
from router.runtime.assistant import AssistantService
from router.runtime.compose import Runtime, build_runtime
from router.settings.config import Settings, load_settings
from router.types import TurnRequest
from tests.support.offline import block_outbound
from tests.support.tool_endpoint import ToolEndpoint

SECRET_NOTE = "The locker code is 7093-kestrel."
QUESTION = "What is the locker code in my notes file?"


class RuntimeAssistant(AssistantService):
    """The assistant service over a runtime the test built (as the app lends its own)."""

    def __init__(self, runtime: Runtime, *, roots: tuple[str, ...] | None = None) -> None:
        super().__init__(roots=roots)
        self._given = runtime

    async def runtime(self) -> Runtime:
        return self._given


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A shared folder holding a note only the file knows."""
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "notes.txt").write_text(SECRET_NOTE + "\n")
    return folder


@pytest.fixture
async def make_runtime(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[..., Runtime]]:
    """Builds runtimes over given endpoints and `[mcp]` changes; closes them after the test."""
    monkeypatch.setenv("TANDEM_PRIVACY__NER", "false")  # patterns suffice; spaCy loads slowly
    built: list[Runtime] = []

    def make(endpoints: dict[str, Endpoint], **mcp: object) -> Runtime:
        settings: Settings = load_settings(tandem_home)
        settings = settings.model_copy(update={"mcp": settings.mcp.model_copy(update=mcp)})
        runtime = build_runtime(tandem_home, settings, endpoints=endpoints)
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        await runtime.aclose()


def reader(path: str = "shared/notes.txt") -> ToolEndpoint:
    """A device model that reads `path` with files__read, then says what it read."""
    return ToolEndpoint("files__read", arguments={"path": path}, name="local", kind="local")


def offered_names(endpoint: ToolEndpoint) -> set[str]:
    return {tool.name for offered in endpoint.offered for tool in offered}


async def test_the_device_model_reads_a_shared_file_over_the_mcp_transport(
    make_runtime: Callable[..., Runtime], shared: Path
) -> None:
    device = reader()
    runtime = make_runtime({"local": device}, roots=[str(shared)])
    async with Client(build_assistant_server(RuntimeAssistant(runtime))) as client:
        result = await client.call_tool("ask_local", {"question": QUESTION})
    assert not result.is_error
    assert isinstance(result.content[0], TextContent)
    assert "7093-kestrel" in result.content[0].text  # only the file had it


async def test_the_folders_tandem_mcp_serve_shares_are_the_ones_the_model_reads(
    make_runtime: Callable[..., Runtime], shared: Path
) -> None:
    # `tandem mcp serve --root DIR` shares DIR with the client; the device model reads it too.
    runtime = make_runtime({"local": reader()})
    service = RuntimeAssistant(runtime, roots=(str(shared),))
    assert "7093-kestrel" in await service.ask_local(QUESTION)


async def test_a_value_a_rule_keeps_local_read_from_a_file_is_withheld(
    make_runtime: Callable[..., Runtime], shared: Path
) -> None:
    (shared / "notes.txt").write_text("Card on file: 4111 1111 1111 1111\n")
    runtime = make_runtime({"local": reader()}, roots=[str(shared)])
    answer = await RuntimeAssistant(runtime).ask_local(QUESTION)
    assert "4111" not in answer and "withheld" in answer


async def test_only_read_only_device_tools_are_offered(
    make_runtime: Callable[..., Runtime], shared: Path
) -> None:
    # No one is there to confirm a change, and a user's own servers may reach the network.
    device = ToolEndpoint(
        "files__write",
        arguments={"path": "shared/new.txt", "text": "x"},
        name="local",
        kind="local",
    )
    runtime = make_runtime(
        {"local": device}, roots=[str(shared)], files_write=True, offer="all", servers=[]
    )
    await RuntimeAssistant(runtime).ask_local("Write x to a new file, please.")
    names = offered_names(device)
    assert "files__read" in names
    assert not {"files__write", "files__append", "files__move"} & names
    assert all(name.split("__")[0] in ("files", "sensors") for name in names)
    assert not (shared / "new.txt").exists()


async def test_no_tools_are_offered_when_mcp_is_off(
    make_runtime: Callable[..., Runtime], shared: Path
) -> None:
    device = reader()
    runtime = make_runtime({"local": device}, roots=[str(shared)], enabled=False)
    answer = await RuntimeAssistant(runtime).ask_local(QUESTION)
    assert offered_names(device) == set() and "7093-kestrel" not in answer


def recording(answer: str = "Noted.") -> FunctionEndpoint:
    return FunctionEndpoint(lambda call: answer, name="local", kind="local")


async def chat(runtime: Runtime, text: str, session_id: str) -> None:
    """One chat turn in the app's pipeline, indexed in memory before this returns."""
    async for _ in runtime.pipeline.run_turn(TurnRequest(text=text, session_id=session_id)):
        pass
    await runtime.pipeline.drain()


def sent_text(call: EndpointCall) -> str:
    return "\n".join(message.content for message in call.messages)


async def test_earlier_conversations_reach_the_device_model(
    make_runtime: Callable[..., Runtime],
) -> None:
    device = recording()
    runtime = make_runtime({"local": device})
    await chat(runtime, "My sister's wedding is in Lisbon on the 14th of June.", "family")
    await chat(runtime, "Suggest a name for a grey kitten.", "pets")

    await RuntimeAssistant(runtime).ask_local("Where is my sister's wedding?")
    asked = device.calls[-1]
    assert "Lisbon" in sent_text(asked)
    assert "kitten" not in sent_text(asked)  # an unrelated conversation is not recalled
    # The question is still the last message, after what memory recalled.
    assert asked.messages[-1].content == "Where is my sister's wedding?"


async def test_turns_from_several_conversations_are_recalled_side_by_side(
    make_runtime: Callable[..., Runtime],
) -> None:
    # Both are the first turn (seq 0) of their conversation; neither may hide the other.
    device = recording()
    runtime = make_runtime({"local": device})
    await chat(runtime, "My sister's wedding is in Lisbon in June.", "sister")
    await chat(runtime, "My brother's wedding is in Porto in May.", "brother")

    await RuntimeAssistant(runtime).ask_local("Where are the weddings in my family?")
    sent = sent_text(device.calls[-1])
    assert "Lisbon" in sent and "Porto" in sent
    assert 'from your conversation "My sister' in sent  # each labelled with its conversation


async def test_the_exchange_stays_out_of_the_users_conversations_and_memory(
    make_runtime: Callable[..., Runtime],
) -> None:
    device = recording("The answer is 42.")
    runtime = make_runtime({"local": device})
    await chat(runtime, "Remember that my locker is number 12.", "mine")

    await RuntimeAssistant(runtime).ask_local("What is six times seven?")
    await runtime.pipeline.drain()
    assert [s.id for s in runtime.ledger.sessions()] == ["mine"]
    assert runtime.memory is not None
    assert runtime.memory.store().count() == 1


async def test_context_is_still_given_before_the_question(
    make_runtime: Callable[..., Runtime],
) -> None:
    device = recording()
    runtime = make_runtime({"local": device})
    await RuntimeAssistant(runtime).ask_local("Summarise.", "My notes: buy milk.")
    assert device.calls[-1].messages[-1].content == "My notes: buy milk.\n\nSummarise."


async def test_nothing_leaves_the_device_even_with_a_cloud_endpoint_configured(
    make_runtime: Callable[..., Runtime], shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = block_outbound(monkeypatch)
    cloud = FunctionEndpoint(lambda call: "from the cloud", name="cloud", kind="cloud")
    device = reader()
    runtime = make_runtime({"local": device, "cloud": cloud}, roots=[str(shared)])
    runtime.apply_settings(
        runtime.settings.model_copy(
            update={
                "routing": runtime.settings.routing.model_copy(update={"policy": "prefer_remote"})
            }
        )
    )
    await chat(runtime, "I keep the gym locker code in my notes file.", "gym")
    cloud_calls_before = len(cloud.calls)

    answer = await RuntimeAssistant(runtime).ask_local(QUESTION)
    assert "7093-kestrel" in answer  # the shared file was read...
    assert "gym locker" in sent_text(device.calls[-1])  # ...and memory recalled, on the device
    assert len(cloud.calls) == cloud_calls_before
    assert attempts == []
