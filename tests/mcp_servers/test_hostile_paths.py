"""Hostile paths against every files tool: all refused, nothing outside the roots revealed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult

from mcp_servers.files import FilesConfig, WriteRequest, build_files_server
from tests.mcp_servers.support import SECRET, Tree


def probes(tree: Tree) -> list[str]:
    root, outside, base = str(tree.root), str(tree.outside), str(tree.base)
    return [
        "../secret.txt",
        "root/../secret.txt",
        "root/../../secret.txt",
        "root/../root_evil/secret.txt",
        "root/docs/../../root_evil/secret.txt",
        "root/docs/../../../../../../etc/passwd",
        "root/./../secret.txt",
        "root//..//..//secret.txt",
        "%2e%2e%2fsecret.txt",
        "root/%2e%2e/%2e%2e/secret.txt",
        "root/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "root/%252e%252e%252fsecret.txt",
        "root/..%2fsecret.txt",
        "root/%2e%2e%5csecret.txt",
        f"{base}/secret.txt",
        f"{outside}/secret.txt",
        f"{root}_evil/secret.txt",
        f"{root}/../secret.txt",
        "/etc/passwd",
        "~/secret.txt",
        "~root/.bashrc",
        "root/hello.txt\x00../../secret.txt",
        "root/\x00",
        "root\\..\\..\\secret.txt",
        "..\\secret.txt",
        "\\\\server\\share\\secret.txt",
        "C:\\Windows\\win.ini",
        "C:/secret.txt",
        "file:///etc/passwd",
        "root/escape",
        "root/escape/",
        "root/escape_dir/secret.txt",
        "root/escape_dir",
        "root/dangling_out",
        "root_evil/secret.txt",
        "root/\u2025/secret.txt",
        "x" * 5000,
    ]


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def dump(result: CallToolResult) -> str:
    return result.model_dump_json()


@pytest.fixture
def server(tree: Tree) -> Any:
    async def allow(_request: WriteRequest) -> bool:
        return True  # the guard, not the confirmation, must stop every probe

    return build_files_server(
        FilesConfig(roots=(str(tree.root),), write_enabled=True, confirm=allow)
    )


def calls(probe: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("files_read", {"path": probe}),
        ("files_stat", {"path": probe}),
        ("files_list", {"path": probe}),
        ("files_search", {"query": "secret", "path": probe, "content": True}),
        ("files_write", {"path": probe, "text": "pwned", "overwrite": True}),
        ("files_append", {"path": probe, "text": "pwned"}),
        ("files_move", {"source": probe, "destination": "root/moved.txt"}),
        ("files_move", {"source": "root/hello.txt", "destination": probe}),
    ]


async def test_every_probe_is_refused_by_every_tool(tree: Tree, server: Any) -> None:
    hostile = probes(tree)
    assert len(hostile) >= 30
    before = sorted(p.name for p in tree.base.rglob("*"))
    async with Client(server) as client:
        for probe in hostile:
            for tool, args in calls(probe):
                result = await client.call_tool(tool, args)
                assert result.is_error, (tool, probe, dump(result))
                assert SECRET not in dump(result), (tool, probe)
                assert "root_evil" not in text_of(result), (tool, probe)
    assert sorted(p.name for p in tree.base.rglob("*")) == before
    assert (tree.outside / "secret.txt").read_text() == SECRET
    assert (tree.base / "secret.txt").read_text() == SECRET
    assert (tree.root / "hello.txt").exists()


@pytest.mark.parametrize(
    ("exists", "missing"),
    [
        ("root/../root_evil/secret.txt", "root/../root_evil/missing.txt"),
        ("{outside}/secret.txt", "{outside}/missing.txt"),
        ("{base}/secret.txt", "{base}/missing.txt"),
        ("root/escape", "root/dangling_out"),
        ("root/escape_dir/secret.txt", "root/escape_dir/missing.txt"),
        ("root/escape_dir", "root/missing_dir"),
    ],
)
async def test_existing_and_missing_outside_answer_identically(
    tree: Tree, server: Any, exists: str, missing: str
) -> None:
    fill = {"outside": str(tree.outside), "base": str(tree.base)}
    async with Client(server) as client:
        for tool in ("files_read", "files_stat", "files_list"):
            a = await client.call_tool(tool, {"path": exists.format(**fill)})
            b = await client.call_tool(tool, {"path": missing.format(**fill)})
            assert a.is_error and b.is_error
            assert text_of(a) == text_of(b), tool


async def test_searching_everything_never_finds_the_secret(tree: Tree, server: Any) -> None:
    async with Client(server) as client:
        by_text = await client.call_tool("files_search", {"query": SECRET, "content": True})
        by_name = await client.call_tool("files_search", {"query": "secret"})
        listing = await client.call_tool("files_list", {"path": "root"})
    for result in (by_text, by_name):
        assert result.structured_content is not None
        assert result.structured_content["hits"] == []
    assert "escape" not in dump(listing)


async def test_a_symlink_swapped_in_is_not_written_through(tree: Tree, server: Any) -> None:
    (tree.root / "docs" / "swap.txt").symlink_to(tree.base / "secret.txt")
    async with Client(server) as client:
        result = await client.call_tool(
            "files_write", {"path": "root/docs/swap.txt", "text": "pwned", "overwrite": True}
        )
    assert result.is_error
    assert Path(tree.base / "secret.txt").read_text() == SECRET
