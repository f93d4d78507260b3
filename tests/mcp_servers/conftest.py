"""Fixtures for the MCP server tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mcp_servers.support import Tree, make_tree


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A shared root with text, binary and symlinks; a secret next to it and in its sibling."""
    return make_tree(tmp_path)
