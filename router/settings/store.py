"""Changing a few keys of the user's config.toml safely, keeping everything else as written.

Only the user's own file is rewritten (the shipped defaults and `TANDEM_*`
variables are left alone). A change is validated against the whole settings
model before anything is written, and the file is replaced atomically, so a
bad value never leaves a broken or half-written config behind. The file is
edited as a `tomlkit` document, so the user's comments, key order and
formatting outside the changed keys survive a save.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError
from tomlkit.exceptions import TOMLKitError
from tomlkit.toml_document import TOMLDocument

from router.errors import ConfigError
from router.paths import TandemPaths
from router.settings.config import Settings, default_config_text, merge_tables


def read_toml_document(path: Path) -> TOMLDocument:
    """The TOML file at `path` as an editable document (empty when it does not exist)."""
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text("utf-8"))
    except (TOMLKitError, ValueError) as exc:
        raise ConfigError(
            f"{path} is not valid TOML ({exc}); not overwriting it",
            "fix the file by hand (or delete it) and save again",
        ) from exc


def read_toml_file(path: Path) -> dict[str, Any]:
    """The TOML file at `path` as plain data ({} when it does not exist)."""
    return read_toml_document(path).unwrap()


def validate_user_config(data: Mapping[str, Any]) -> Settings:
    """Return the settings `data` (a user config) gives, or raise `ConfigError` saying why not."""
    try:
        return Settings(**merge_tables(tomllib.loads(default_config_text()), data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"not saved: {problems}", "correct the value and save again") from exc


def _apply_changes(document: TOMLDocument, changes: Mapping[str, Any]) -> None:
    for section, values in changes.items():
        if not isinstance(values, Mapping):
            document[section] = _without_none(values)
            continue
        if section not in document or not isinstance(document[section], Mapping):
            document[section] = tomlkit.table()
        table = document[section]
        for key, value in values.items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = _without_none(value)


def updated_document(
    paths: TandemPaths, changes: Mapping[str, Any]
) -> tuple[TOMLDocument, Settings]:
    """The user's config with `changes` made, and the settings it gives (nothing written).

    A section given as a mapping (`{"privacy": {"ner": False}}`) has just those
    keys set, and a key set to None is removed so its default applies again;
    any other value (`{"endpoints": [...]}`) replaces the key whole. Other
    sections, keys and comments of the user's file are kept as they were.
    Raises `ConfigError` when the result is not valid.
    """
    document = read_toml_document(paths.config_file)
    _apply_changes(document, changes)
    return document, validate_user_config(document.unwrap())


def update_settings(paths: TandemPaths, changes: Mapping[str, Any]) -> Settings:
    """Make `changes` (see `updated_document`) in the user's config.toml; return the settings."""
    document, settings = updated_document(paths, changes)
    write_toml(paths.config_file, document)
    return settings


def dumps_toml(data: Mapping[str, Any]) -> str:
    """`data` (a document, or str keys with TOML-able values) as TOML text; None values dropped."""
    if isinstance(data, TOMLDocument):
        return tomlkit.dumps(data)
    return tomlkit.dumps(_without_none(data))


def _without_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_none(v) for v in value]
    return value


def write_toml(path: Path, data: Mapping[str, Any]) -> None:
    """Write `data` to `path` as TOML, replacing the file atomically."""
    text = dumps_toml(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
