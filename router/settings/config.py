"""Settings: shipped defaults, the user's TOML file, then environment overrides.

Precedence, lowest to highest: `assets/default_config.toml`, the user's
`config.toml`, `TANDEM_*` environment variables (nested with `__`, e.g.
`TANDEM_LOCAL__N_CTX=8192`), and keyword arguments.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
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
from router.mcp.settings import McpSettings
from router.paths import TandemPaths, resolve_paths
from router.policy.routing_rule import RoutingRule
from router.privacy.rules import PrivacyRule
from router.types import GenerationOptions


class _Section(BaseModel):
    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")


class LocalModelSettings(_Section):
    """How the on-device model is chosen and loaded."""

    model: str = Field(description="`bundled`, a model name, or a path to a .gguf file.")
    n_ctx: int = Field(ge=256, description="Context window in tokens.")
    n_threads: int = Field(ge=0, description="CPU threads; 0 lets llama.cpp pick.")
    cpu_extra_buffers: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="llama.cpp extra CPU buffer types (repacking, AMX): `auto` self-tests "
        "and turns them off where they crash; `on`/`off` force it.",
    )
    stall_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="Prior: seconds without a token before a running answer counts as hung.",
    )


class ChatSettings(_Section):
    """Conversation defaults."""

    system_prompt: str = Field(description="System prompt sent with every turn.")


class RoutingSettings(_Section):
    """Which policy routes turns, and what it trades off (see router/policy/)."""

    policy: Literal["local", "prefer_remote", "rules", "learned", "budget", "cascade"] = Field(
        description="`local`: every turn on the device; `prefer_remote`: the first reachable "
        "off-device endpoint, else the device; `rules`: the [[routing.rules]] below, then "
        "`rules_fallback`; `learned`: the artifact's quality model vs cost and latency; "
        "`budget`: learned, paced to the money budgets; `cascade`: answer locally, escalate "
        "when the local answer's confidence is low."
    )
    rules: list[RoutingRule] = Field(
        default_factory=list, description="User routing rules, first match wins."
    )
    rules_fallback: Literal["local", "prefer_remote", "learned", "budget"] = Field(
        default="learned", description="Policy for turns no rule matches."
    )
    willingness_to_pay_usd: float = Field(
        default=0.05, gt=0, description="USD worth a 1.0 gain in answer quality (in [0, 1])."
    )
    latency_weight: float = Field(
        default=0.2, ge=0, description="Quality given up per latency-target overrun."
    )
    latency_target_s: float | None = Field(
        default=None, gt=0, description="Seconds a whole answer should take; None: no target."
    )
    budget_per_day_usd: float | None = Field(
        default=None, ge=0, description="Most USD spent off-device per UTC day."
    )
    budget_per_month_usd: float | None = Field(
        default=None, ge=0, description="Most USD spent off-device per UTC month."
    )
    budget_per_conversation_usd: float | None = Field(
        default=None, ge=0, description="Most USD spent off-device per conversation."
    )
    learned_artifact: str | None = Field(
        default=None,
        description="Quality-model JSON (`tandem.linear-router`); None: the shipped hand-set "
        "default assets/routing_learned.json.",
    )
    learned_router: str | None = Field(
        default="bundled",
        description="Router trained with `tandem router train` (.npz) that predicts how much "
        "better an off-device model answers each question; `bundled`: the shipped one (trained "
        "on RouteLLM's GSM8K + MMLU outcomes); None: the quality JSON alone. Needs the turn's "
        "embedding, computed for the `learned` and `budget` policies when this is set.",
    )
    budget_artifact: str | None = Field(
        default=None,
        description="Budget pacing JSON (`tandem.budget-router`); None: the shipped hand-set "
        "default assets/routing_budget.json.",
    )
    cascade_threshold: float = Field(
        default=0.6, ge=0, le=1, description="Local answers below this confidence escalate."
    )
    cascade_samples: int = Field(
        default=2, ge=1, le=3, description="Local samples drawn to measure their agreement."
    )
    cascade_escalate_to: str | None = Field(
        default=None, description="Endpoint to escalate to; None: the first reachable remote."
    )
    sticky: bool = Field(
        default=True,
        description="Keep a conversation on its endpoint when switching would resend more "
        "context than it gains.",
    )
    embed_features: bool = Field(
        default=False,
        description="Use the MiniLM embedding for difficulty and attachment relevance "
        "(about 6 ms a turn).",
    )


class RemoteEndpointSettings(_Section):
    """An endpoint off the device: Anthropic's API, an edge box, any compatible server."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short unique name.")
    kind: Literal["cloud", "edge"] = Field(description="`cloud` (a provider) or `edge` (yours).")
    api: Literal["anthropic", "openai"] = Field(
        description="Wire protocol: Anthropic Messages, or OpenAI chat completions."
    )
    model: str = Field(description="Model name sent with each request.")
    base_url: str | None = Field(
        default=None, description="Server address; None means the provider's default."
    )
    api_key_env: str | None = Field(
        default=None,
        description="Environment variable holding the key; default ANTHROPIC_API_KEY for "
        "`anthropic` endpoints of kind `cloud` only (your Anthropic key never goes to an edge "
        "box by accident). Keys saved with `tandem endpoints key` live in the OS keyring.",
    )
    context_window: int = Field(default=200_000, ge=256, description="Context window in tokens.")
    prompt_caching: bool = Field(
        default=True, description="Mark the stable prefix (system prompt, history) cacheable."
    )


class ResilienceSettings(_Section):
    """How Tandem waits for, retries and gives up on off-device endpoints."""

    connect_timeout_s: float = Field(gt=0, description="Most seconds to open a connection.")
    first_token_timeout_s: float = Field(
        gt=0, description="Most seconds from sending a request to its first token."
    )
    total_timeout_s: float = Field(gt=0, description="Most seconds for a whole answer.")
    max_retries: int = Field(ge=0, description="Retries before the first token, per turn.")
    backoff_base_s: float = Field(ge=0, description="First retry delay; doubles each retry.")
    backoff_max_s: float = Field(ge=0, description="Longest delay between retries.")
    breaker_failures: int = Field(
        ge=1, description="Consecutive failed turns after which an endpoint is skipped."
    )
    breaker_cooldown_s: float = Field(
        gt=0, description="Seconds a skipped endpoint rests before it is tried again."
    )
    fallback_to_local: bool = Field(
        description="Finish a turn on the device when its off-device endpoint fails."
    )


class PrivacySettings(_Section):
    """How turns are scanned for sensitive data, and the user's own rules."""

    rules: list[PrivacyRule] = Field(
        default_factory=list,
        description="Your rules, tried before the shipped defaults (first match wins).",
    )
    ner: bool = Field(default=True, description="Find names, places and organizations (NER).")
    topics: bool = Field(default=True, description="Find sensitive topics (health, ...).")
    names: Literal["strict", "standard"] = Field(
        default="strict",
        description="`strict`: also redact name-like words NER misses (capitalised, rare or "
        "domain-like words) and keep text in scripts without capitals on the device; "
        "`standard`: NER and patterns only, better answers about public names, more leakage.",
    )


class MemorySettings(_Section):
    """Where every turn is indexed for search and retrieval (Chroma)."""

    enabled: bool = Field(default=True, description="Index turns in Chroma for retrieval.")
    server_url: str | None = Field(
        default=None,
        description="A `chroma run` server (http://host:port) shared by several devices; "
        "None keeps the index in this device's data folder.",
    )
    collection: str = Field(default="turns", description="Chroma collection name.")


class ContextSettings(_Section):
    """How earlier turns are carried to the endpoint that serves a turn."""

    summary: bool = Field(
        default=True, description="Keep a rolling session summary, written on this device."
    )
    recent_turns: int = Field(default=3, ge=0, description="Latest turns always sent verbatim.")
    retrieved_turns: int = Field(
        default=8,
        ge=0,
        description="Most earlier turns retrieved from memory per turn for an off-device model.",
    )
    local_retrieved_turns: int = Field(
        default=16,
        ge=0,
        description="Most earlier turns retrieved for this device's model: a small model "
        "gains more from supporting context, and its tokens are free.",
    )
    remote_prompt_tokens: int = Field(
        default=4000,
        ge=0,
        description="Cap on the prompt sent off the device, in tokens (0: the model's window).",
    )
    local_prompt_tokens: int = Field(
        default=0,
        ge=0,
        description="Cap on the prompt for this device's model (0: its window less the answer).",
    )
    summary_every_n_turns: int = Field(
        default=4, ge=1, description="Turns between two refreshes of the session summary."
    )
    summary_max_words: int = Field(
        default=150, ge=20, description="Length bound of the session summary, in words."
    )


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
