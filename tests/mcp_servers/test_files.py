"""The files server through an in-process MCP client: every tool, and write confirmation."""

from __future__ import annotations

import base64
from typing import Any

from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp_types import CallToolResult, ElicitRequestParams, ElicitResult, EmbeddedResource

from mcp_servers.files import FilesConfig, WriteRequest, build_files_server
from mcp_servers.files_ops import FileLimits
from tests.mcp_servers.support import Tree


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def server(tree: Tree, **kwargs: Any) -> Any:
    return build_files_server(FilesConfig(roots=(str(tree.root),), **kwargs))


async def test_read_only_tools_only_by_default(tree: Tree) -> None:
    async with Client(server(tree)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"files_list", "files_stat", "files_search", "files_read"}
    assert tools["files_list"].output_schema is not None
    assert tools["files_read"].annotations is not None
    assert tools["files_read"].annotations.read_only_hint is True


async def test_list_shows_roots_then_folders_without_escaping_links(tree: Tree) -> None:
    async with Client(server(tree)) as client:
        top = (await client.call_tool("files_list", {})).structured_content
        listing = (await client.call_tool("files_list", {"path": "root"})).structured_content
    assert top is not None and [e["path"] for e in top["entries"]] == ["root"]
    assert listing is not None
    names = [e["name"] for e in listing["entries"]]
    assert names == ["docs", "hello.txt", "image.png", "inner_link"]
    assert {e["kind"] for e in listing["entries"] if e["name"] == "docs"} == {"folder"}


async def test_listing_length_is_limited(tree: Tree) -> None:
    for i in range(12):
        (tree.root / "docs" / f"f{i:02}.txt").write_text("x")
    limits = FileLimits(max_list_entries=5)
    async with Client(server(tree, limits=limits)) as client:
        listing = (await client.call_tool("files_list", {"path": "root/docs"})).structured_content
    assert listing is not None
    assert len(listing["entries"]) == 5 and listing["truncated"] and listing["total"] == 13


async def test_read_text_and_binary_as_resource(tree: Tree) -> None:
    async with Client(server(tree)) as client:
        text = await client.call_tool("files_read", {"path": "root/hello.txt"})
        binary = await client.call_tool("files_read", {"path": "root/image.png"})
    assert not text.is_error and text_of(text) == "hello world\nsecond line\n"
    block = binary.content[0]
    assert isinstance(block, EmbeddedResource)
    assert block.resource.mime_type == "image/png"
    assert base64.b64decode(block.resource.blob) == (tree.root / "image.png").read_bytes()  # type: ignore[union-attr]


async def test_read_refuses_files_over_the_limit(tree: Tree) -> None:
    (tree.root / "big.txt").write_text("a" * 2000)
    async with Client(server(tree, limits=FileLimits(max_read_bytes=1000))) as client:
        result = await client.call_tool("files_read", {"path": "root/big.txt"})
    assert result.is_error and "read limit" in text_of(result)


async def test_stat(tree: Tree) -> None:
    async with Client(server(tree)) as client:
        stat = (await client.call_tool("files_stat", {"path": "root/hello.txt"})).structured_content
    assert stat is not None
    assert stat["kind"] == "file" and stat["size"] == 24 and stat["mime_type"] == "text/plain"


async def test_search_by_name_and_content(tree: Tree) -> None:
    async with Client(server(tree)) as client:
        by_name = await client.call_tool("files_search", {"query": "*.md"})
        by_text = await client.call_tool("files_search", {"query": "MILK", "content": True})
        in_docs = await client.call_tool("files_search", {"query": "hello", "path": "root/docs"})
    assert by_name.structured_content is not None and by_text.structured_content is not None
    assert [h["path"] for h in by_name.structured_content["hits"]] == ["root/docs/notes.md"]
    hit = by_text.structured_content["hits"][0]
    assert (hit["path"], hit["line"], hit["snippet"]) == ("root/docs/notes.md", 2, "buy milk")
    assert in_docs.structured_content is not None and in_docs.structured_content["hits"] == []


async def test_writes_are_confirmed_by_the_app_callback(tree: Tree) -> None:
    asked: list[WriteRequest] = []

    async def confirm(request: WriteRequest) -> bool:
        asked.append(request)
        return request.op != "move"

    async with Client(server(tree, write_enabled=True, confirm=confirm)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        wrote = await client.call_tool("files_write", {"path": "root/new.txt", "text": "one\n"})
        appended = await client.call_tool("files_append", {"path": "root/new.txt", "text": "two\n"})
        again = await client.call_tool("files_write", {"path": "root/new.txt", "text": "x"})
        moved = await client.call_tool(
            "files_move", {"source": "root/new.txt", "destination": "root/docs/new.txt"}
        )
    assert {"files_write", "files_append", "files_move"} <= names
    assert not wrote.is_error and not appended.is_error
    assert (tree.root / "new.txt").read_text() == "one\ntwo\n"
    assert again.is_error and "already exists" in text_of(again)
    assert moved.is_error and "not confirmed" in text_of(moved)
    assert not (tree.root / "docs" / "new.txt").exists()
    ops = [(r.op, r.path) for r in asked]
    assert ops[:2] == [("write", "root/new.txt"), ("append", "root/new.txt")]


async def test_move_within_the_roots(tree: Tree) -> None:
    async def allow(_request: WriteRequest) -> bool:
        return True

    async with Client(server(tree, write_enabled=True, confirm=allow)) as client:
        moved = await client.call_tool(
            "files_move", {"source": "root/hello.txt", "destination": "root/docs/hi.txt"}
        )
    assert moved.structured_content == {"path": "root/docs/hi.txt", "action": "moved", "size": 24}
    assert (tree.root / "docs" / "hi.txt").exists() and not (tree.root / "hello.txt").exists()


async def test_writes_are_refused_when_nobody_can_confirm(tree: Tree) -> None:
    async with Client(server(tree, write_enabled=True)) as client:
        result = await client.call_tool("files_write", {"path": "root/new.txt", "text": "x"})
    assert result.is_error and "not confirmed" in text_of(result)
    assert not (tree.root / "new.txt").exists()


async def test_writes_are_confirmed_by_elicitation_when_the_client_supports_it(tree: Tree) -> None:
    messages: list[str] = []

    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        messages.append(params.message)
        if "yes.txt" in params.message:
            return ElicitResult(action="accept", content={"approve": True})
        return ElicitResult(action="decline")

    async with Client(server(tree, write_enabled=True), elicitation_callback=answer) as client:
        yes = await client.call_tool("files_write", {"path": "root/yes.txt", "text": "y"})
        no = await client.call_tool("files_write", {"path": "root/no.txt", "text": "n"})
    assert not yes.is_error and (tree.root / "yes.txt").read_text() == "y"
    assert no.is_error and not (tree.root / "no.txt").exists()
    assert messages == ["Allow write of root/yes.txt?", "Allow write of root/no.txt?"]


async def test_nobody_is_asked_about_a_path_that_would_be_refused(tree: Tree) -> None:
    asked: list[WriteRequest] = []

    async def confirm(request: WriteRequest) -> bool:
        asked.append(request)
        return True

    async with Client(server(tree, write_enabled=True, confirm=confirm)) as client:
        result = await client.call_tool("files_write", {"path": "root/escape", "text": "x"})
    assert result.is_error and asked == []
    assert (tree.outside / "secret.txt").read_text().startswith("TOP-SECRET")


async def test_content_search_stops_at_its_byte_budget(tree: Tree) -> None:
    for i in range(5):
        (tree.root / "docs" / f"log{i}.txt").write_text("needle\n" + "x" * 500)
    limits = FileLimits(max_search_bytes=1000)
    async with Client(server(tree, limits=limits)) as client:
        result = await client.call_tool("files_search", {"query": "needle", "content": True})
    assert result.structured_content is not None
    assert result.structured_content["truncated"] is True
    assert 1 <= len(result.structured_content["hits"]) < 5
