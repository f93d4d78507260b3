"""Saving settings from the GUI: TOML written back exactly, validated before writing."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from app.gui.settings_store import dumps_toml, update_settings, write_toml
from router.config import load_settings
from router.errors import ConfigError
from router.paths import TandemPaths


def test_toml_round_trips_tables_arrays_of_tables_and_awkward_strings() -> None:
    data: dict[str, Any] = {
        "top": 1,
        "chat": {"system_prompt": 'Say "hi"\n\tthen\x7f stop — ünïcode'},
        "routing": {"policy": "rules", "budget": 1.5, "sticky": False, "rules": []},
        "endpoints": [
            {"name": "a", "model": "m"},
            {"name": "b", "model": "n", "headers": {"x-key": "v", "odd key": "w"}},
        ],
        "mcp": {
            "permissions": {"sensors__battery": "deny"},
            "servers": [{"name": "s", "args": ["--x", "y"], "tools": {"t": "ask"}}],
        },
    }
    assert tomllib.loads(dumps_toml(data)) == data


def test_update_keeps_other_settings_and_removes_keys_set_to_none(
    tandem_home: TandemPaths,
) -> None:
    write_toml(
        tandem_home.config_file,
        {"chat": {"system_prompt": "Be brief."}, "routing": {"budget_per_day_usd": 2.0}},
    )
    settings = update_settings(
        tandem_home, {"routing": {"policy": "prefer_remote", "budget_per_day_usd": None}}
    )
    assert settings.routing.policy == "prefer_remote"
    assert tomllib.loads(tandem_home.config_file.read_text("utf-8")) == {
        "chat": {"system_prompt": "Be brief."},
        "routing": {"policy": "prefer_remote"},
    }
    assert load_settings(tandem_home).routing.budget_per_day_usd is None


def test_invalid_change_is_refused_and_the_file_left_as_it_was(tandem_home: TandemPaths) -> None:
    write_toml(tandem_home.config_file, {"chat": {"system_prompt": "Be brief."}})
    before = tandem_home.config_file.read_bytes()
    with pytest.raises(ConfigError, match=r"routing\.policy"):
        update_settings(tandem_home, {"routing": {"policy": "fastest"}})
    assert tandem_home.config_file.read_bytes() == before


def test_a_broken_user_file_is_not_overwritten(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text("[chat\nsystem_prompt = 1", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        update_settings(tandem_home, {"privacy": {"ner": False}})
    assert tandem_home.config_file.read_text("utf-8") == "[chat\nsystem_prompt = 1"
