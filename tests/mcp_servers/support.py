"""Shared helpers for the MCP server tests: roots with a secret outside, an HTTP server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from tests.support.loopback import served_on_loopback

SECRET = "TOP-SECRET-7f3a9c-do-not-leak"
TOKEN = "test-token-" + "x" * 40


@dataclass
class Tree:
    """A shared root with files, and a sibling holding a secret the root links to."""

    base: Path
    root: Path
    outside: Path


def make_tree(base: Path) -> Tree:
    root = base / "root"
    outside = base / "root_evil"
    (root / "docs").mkdir(parents=True)
    outside.mkdir()
    (root / "hello.txt").write_text("hello world\nsecond line\n")
    (root / "docs" / "notes.md").write_text("# Notes\nbuy milk\n")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (outside / "secret.txt").write_text(SECRET)
    (base / "secret.txt").write_text(SECRET)
    (root / "escape").symlink_to(outside / "secret.txt")
    (root / "escape_dir").symlink_to(outside)
    (root / "dangling_out").symlink_to(outside / "missing.txt")
    (root / "inner_link").symlink_to(root / "hello.txt")
    return Tree(base, root, outside)


@contextlib.contextmanager
def running(app: Any, port: int) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on `port`; yield its /mcp URL."""
    with served_on_loopback(app, port) as url:
        yield url


def http_client(token: str | None, **headers: str) -> httpx2.AsyncClient:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx2.AsyncClient(headers=headers, timeout=30)
