"""The endpoint settings: the on-device model, `[[endpoints]]` entries and `[resilience]`.

The top-level `Settings` composes these sections with the others;
endpoint code imports them from here, so it never depends on the config file's loader.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LocalModelSettings(BaseModel):
    """How the on-device model is chosen and loaded."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

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


class RemoteEndpointSettings(BaseModel):
    """An endpoint off the device: Anthropic's API, an edge box, any compatible server."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

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
    mine: bool = Field(
        default=False,
        description="An edge that is one of your own devices (the desktop Tandem a phone is "
        "paired with, your edge box): it may receive what a `keep_mine` privacy rule keeps on "
        "your devices. Only an edge can be yours.",
    )

    @model_validator(mode="after")
    def _only_an_edge_is_mine(self) -> RemoteEndpointSettings:
        if self.mine and self.kind != "edge":
            raise ValueError(
                f"endpoint {self.name}: only an edge can be marked mine; a cloud provider "
                'is never one of your devices (remove `mine`, or set kind = "edge")'
            )
        return self


class ResilienceSettings(BaseModel):
    """How Tandem waits for, retries and gives up on off-device endpoints."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

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
