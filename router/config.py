"""Settings: shipped defaults, the user's TOML file, then environment overrides.

Precedence, lowest to highest: `assets/default_config.toml`, the user's
`config.toml`, `TANDEM_*` environment variables (nested with `__`, e.g.
`TANDEM_LOCAL__N_CTX=8192`), and keyword arguments.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from router.errors import ConfigError
from router.paths import TandemPaths, resolve_paths
from router.types import GenerationOptions


class _Section(BaseModel):
    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")


class LocalModelSettings(_Section):
    """How the on-device model is chosen and loaded."""

    model: str = Field(description="`bundled`, a model name, or a path to a .gguf file.")
    n_ctx: int = Field(ge=256, description="Context window in tokens.")
    n_threads: int = Field(ge=0, description="CPU threads; 0 lets llama.cpp pick.")


class ChatSettings(_Section):
    """Conversation defaults."""

    system_prompt: str = Field(description="System prompt sent with every turn.")


class RoutingSettings(_Section):
    """Which policy routes turns."""

    policy: Literal["local"] = Field(description="Name of the routing policy in use.")


class Settings(BaseSettings):
    """All of Tandem's settings, validated."""

    model_config = SettingsConfigDict(
        env_prefix="TANDEM_", env_nested_delimiter="__", extra="forbid"
    )

    local: LocalModelSettings
    generation: GenerationOptions
    chat: ChatSettings
    routing: RoutingSettings

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


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(paths: TandemPaths | None = None) -> Settings:
    """Load and validate settings from defaults, the user's file and the environment."""
    paths = paths or resolve_paths()
    data = tomllib.loads(default_config_text())
    if paths.config_file.exists():
        data = _merge(data, _read_toml(paths.config_file))
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid settings (from {paths.config_file} or TANDEM_* variables):\n{exc}",
            "fix the listed fields, or delete the file to go back to the defaults",
        ) from exc
