"""Settings: shipped defaults, the user's TOML file, then environment overrides.

Each subsystem owns its section (`router.policy.settings`, `router.endpoints.settings`,
`router.context.settings`, `router.memory.settings`, `router.privacy.settings`,
`router.mcp.settings`); this module only composes them into `Settings` and loads it.

Precedence, lowest to highest: `assets/default_config.toml`, the user's
`config.toml`, `TANDEM_*` environment variables (nested with `__`, e.g.
`TANDEM_LOCAL__N_CTX=8192`), and keyword arguments.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from router.context.settings import ContextSettings
from router.endpoints.settings import (
    LocalModelSettings,
    RemoteEndpointSettings,
    ResilienceSettings,
)
from router.errors import ConfigError
from router.mcp.settings import McpSettings
from router.memory.settings import MemorySettings
from router.paths import TandemPaths, resolve_paths
from router.policy.settings import RoutingSettings
from router.privacy.settings import PrivacySettings
from router.types import GenerationOptions


class ChatSettings(BaseModel):
    """Conversation defaults."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

    system_prompt: str = Field(description="System prompt sent with every turn.")


class Settings(BaseSettings):
    """All of Tandem's settings, validated."""

    model_config = SettingsConfigDict(
        env_prefix="TANDEM_", env_nested_delimiter="__", extra="forbid"
    )

    local: LocalModelSettings
    generation: GenerationOptions
    chat: ChatSettings
    routing: RoutingSettings
    resilience: ResilienceSettings
    endpoints: list[RemoteEndpointSettings] = Field(
        default_factory=list, description="Off-device endpoints, in order of preference."
    )
    privacy: PrivacySettings = Field(
        default_factory=PrivacySettings, description="Privacy scanning and rules."
    )
    memory: MemorySettings = Field(
        default_factory=MemorySettings, description="The Chroma index of every turn."
    )
    context: ContextSettings = Field(
        default_factory=ContextSettings, description="Summary, recent and retrieved turns."
    )
    mcp: McpSettings = Field(
        default_factory=McpSettings, description="MCP servers whose tools the models may use."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment variables win over the file data passed in as keyword arguments."""
        return (env_settings, init_settings)


def default_config_text() -> str:
    """Return the shipped default configuration, as TOML text."""
    return resources.files("assets").joinpath("default_config.toml").read_text("utf-8")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML ({exc})", "fix the file or delete it to use the defaults"
        ) from exc


def merge_tables(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `override`'s keys laid over it, tables merged key by key (TOML layering)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(paths: TandemPaths | None = None) -> Settings:
    """Load and validate settings from defaults, the user's file and the environment."""
    paths = paths or resolve_paths()
    data = tomllib.loads(default_config_text())
    if paths.config_file.exists():
        data = merge_tables(data, _read_toml(paths.config_file))
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid settings (from {paths.config_file} or TANDEM_* variables):\n{exc}",
            "fix the listed fields, or delete the file to go back to the defaults",
        ) from exc
