"""PathGuard: virtual paths map into the roots, and nothing else gets through."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.paths_guard import NOT_FOUND, NoRootsError, PathGuard, PathRefused
from tests.mcp_servers.support import Tree


def test_virtual_paths_resolve_inside_the_root(tree: Tree) -> None:
    guard = PathGuard([tree.root])
    loc = guard.locate("root/docs/notes.md")
    assert loc.real == (tree.root / "docs" / "notes.md").resolve()
    assert loc.virtual == "root/docs/notes.md"
    assert guard.parse("") is None and guard.parse("./") is None


def test_absolute_paths_inside_a_root_are_accepted(tree: Tree) -> None:
    guard = PathGuard([tree.root])
    assert guard.locate(str(tree.root / "hello.txt")).virtual == "root/hello.txt"


def test_sibling_prefix_is_not_inside(tree: Tree) -> None:
    guard = PathGuard([tree.root])
    with pytest.raises(PathRefused):
        guard.locate(str(tree.outside / "secret.txt"))
    assert not guard.inside(tree.outside.resolve())


def test_symlink_inside_the_root_to_inside_is_followed(tree: Tree) -> None:
    guard = PathGuard([tree.root])
    assert guard.locate("root/inner_link").real == (tree.root / "hello.txt").resolve()


@pytest.mark.parametrize("path", ["root/escape", "root/escape_dir/secret.txt", "root/dangling_out"])
def test_symlinks_pointing_out_are_refused(tree: Tree, path: str) -> None:
    with pytest.raises(PathRefused) as info:
        PathGuard([tree.root]).locate(path)
    assert info.value.message == NOT_FOUND


def test_new_files_never_go_through_a_symlink(tree: Tree) -> None:
    guard = PathGuard([tree.root])
    assert guard.locate_new("root/docs/new.txt").real.parent == (tree.root / "docs").resolve()
    for path in ("root/escape", "root/escape_dir/new.txt", "root/dangling_out"):
        with pytest.raises(PathRefused):
            guard.locate_new(path)


def test_roots_with_the_same_name_get_distinct_names(tmp_path: Path) -> None:
    (tmp_path / "a" / "docs").mkdir(parents=True)
    (tmp_path / "b" / "docs").mkdir(parents=True)
    guard = PathGuard([tmp_path / "a" / "docs", tmp_path / "b" / "docs"])
    assert [r.name for r in guard.roots] == ["docs", "docs-2"]


def test_missing_or_no_roots_are_errors(tmp_path: Path) -> None:
    with pytest.raises(NoRootsError):
        PathGuard([])
    with pytest.raises(NoRootsError):
        PathGuard([tmp_path / "missing"])


def test_the_write_itself_refuses_a_symlink_that_appears_after_the_check(tree: Tree) -> None:
    import os

    from mcp_servers import files_ops

    guard = PathGuard([tree.root])
    loc = guard.locate_new("root/docs/race.txt")
    # Between the check and the open, someone replaces the new name with a link out.
    (tree.root / "docs" / "race.txt").symlink_to(tree.base / "secret.txt")
    with pytest.raises(files_ops.FilesError):
        files_ops._write(loc, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, b"pwned", "write")
    assert (tree.base / "secret.txt").read_text().startswith("TOP-SECRET")
