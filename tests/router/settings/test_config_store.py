"""Saving settings: TOML written back exactly, comments kept, validated before writing."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from router.errors import ConfigError
from router.paths import TandemPaths
from router.settings.config import load_settings
from router.settings.store import dumps_toml, update_settings, write_toml


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


def test_comments_order_and_untouched_keys_survive_a_save(tandem_home: TandemPaths) -> None:
    original = (
        "# my settings, hand-written\n"
        "[chat]\n"
        'system_prompt = "Be brief."  # short answers on the phone\n'
        "\n"
        "# budgets I agreed with myself\n"
        "[routing]\n"
        "budget_per_day_usd = 2.0\n"
        'policy = "rules"\n'
    )
    tandem_home.config_file.write_text(original, "utf-8")
    update_settings(
        tandem_home, {"routing": {"policy": "prefer_remote"}, "privacy": {"ner": False}}
    )
    text = tandem_home.config_file.read_text("utf-8")
    for kept in (
        "# my settings, hand-written",
        "# short answers on the phone",
        "# budgets I agreed with myself",
        "budget_per_day_usd = 2.0",
    ):
        assert kept in text
    assert text.index("[chat]") < text.index("[routing]") < text.index("[privacy]")
    assert tomllib.loads(text) == {
        "chat": {"system_prompt": "Be brief."},
        "routing": {"budget_per_day_usd": 2.0, "policy": "prefer_remote"},
        "privacy": {"ner": False},
    }


def test_replacing_a_list_of_tables_drops_none_fields(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text("# endpoints below\n", "utf-8")
    endpoint = {"name": "box", "kind": "edge", "api": "openai", "base_url": "http://127.0.0.1:9/v1",
                "model": "m", "api_key_env": None}  # fmt: skip
    update_settings(tandem_home, {"endpoints": [endpoint]})
    text = tandem_home.config_file.read_text("utf-8")
    assert text.startswith("# endpoints below")
    assert tomllib.loads(text)["endpoints"] == [
        {k: v for k, v in endpoint.items() if v is not None}
    ]
