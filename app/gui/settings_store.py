"""Saving settings from the GUI: change a few keys of the user's config.toml, safely.

Only the user's own file is rewritten (the shipped defaults and `TANDEM_*`
variables are left alone). A change is validated against the whole settings
model before anything is written, and the file is replaced atomically, so a
bad value never leaves a broken or half-written config behind. Comments in
the user's file are not kept: the file is written back from its parsed data.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from router.config import Settings, default_config_text
from router.errors import ConfigError
from router.paths import TandemPaths
from router.runtime import Runtime

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def read_user_config(paths: TandemPaths) -> dict[str, Any]:
    """Return the user's config.toml as data ({} when there is none)."""
    return read_toml_file(paths.config_file)


def read_toml_file(path: Path) -> dict[str, Any]:
    """Return a TOML file the GUI is about to change as data ({} when it does not exist)."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML ({exc}); not overwriting it",
            "fix the file by hand (or delete it) and save again",
        ) from exc


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate_user_config(data: Mapping[str, Any]) -> Settings:
    """Return the settings `data` (a user config) gives, or raise `ConfigError` saying why not."""
    try:
        return Settings(**_merge(tomllib.loads(default_config_text()), data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"not saved: {problems}", "correct the value and save again") from exc


def updated_config(
    paths: TandemPaths, changes: Mapping[str, Any]
) -> tuple[dict[str, Any], Settings]:
    """The user's config with `changes` made, and the settings it gives (nothing written).

    A section given as a mapping (`{"privacy": {"ner": False}}`) has just those
    keys set, and a key set to None is removed so its default applies again;
    any other value (`{"endpoints": [...]}`) replaces the key whole. Other
    sections and keys of the user's file are kept as they were. Raises
    `ConfigError` when the result is not valid.
    """
    data = read_user_config(paths)
    for section, values in changes.items():
        if not isinstance(values, Mapping):
            data[section] = values
            continue
        current = dict(data.get(section, {}))
        for key, value in values.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        data[section] = current
    return data, validate_user_config(data)


def update_settings(paths: TandemPaths, changes: Mapping[str, Any]) -> Settings:
    """Make `changes` (see `updated_config`) in the user's config.toml; return the settings."""
    data, settings = updated_config(paths, changes)
    write_toml(paths.config_file, data)
    return settings


def save_and_apply(runtime: Runtime, changes: Mapping[str, Any]) -> Settings:
    """Validate `changes`, apply them to the running pipeline, then write them to the file.

    Applied first, so a change the runtime refuses (a routing policy whose
    artifact is missing, a rule naming an unknown endpoint) is never written.
    """
    data, settings = updated_config(runtime.paths, changes)
    previous = runtime.settings
    runtime.apply_settings(settings)
    try:
        write_toml(runtime.paths.config_file, data)
    except OSError as exc:
        runtime.apply_settings(previous)
        raise ConfigError(
            f"could not write {runtime.paths.config_file} ({exc.strerror or exc})",
            "check that the folder is writable and has free space",
        ) from exc
    return settings


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


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Return `data` (str keys; str/int/float/bool/list/dict values) as TOML text."""
    lines: list[str] = []
    _table(lines, [], data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table(lines: list[str], prefix: list[str], table: Mapping[str, Any]) -> None:
    # TOML needs a table's plain keys before its sub-tables.
    subtables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    arrays = {k: v for k, v in table.items() if _is_table_array(v)}
    for key, value in table.items():
        if key not in subtables and key not in arrays and value is not None:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in subtables.items():
        lines.append(f"\n[{'.'.join(_key(k) for k in [*prefix, key])}]")
        _table(lines, [*prefix, key], value)
    for key, items in arrays.items():
        for item in items:
            lines.append(f"\n[[{'.'.join(_key(k) for k in [*prefix, key])}]]")
            _table(lines, [*prefix, key], item)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # A JSON string is a valid TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        pairs = (f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + ", ".join(pairs) + " }" if value else "{}"
    raise TypeError(f"cannot write a {type(value).__name__} to TOML")
