"""What each model costs: the shipped price table, overridable per model by the user.

Prices come from `assets/pricing.toml`, merged with `<config_dir>/pricing.toml`
when it exists (a model listed there replaces the shipped entry). A model found
in neither costs 0 and `price()` returns None, so callers can flag it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from router.errors import ConfigError
from router.paths import TandemPaths

# Multipliers on the input price, from Anthropic's prompt caching documentation
# (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#pricing):
# writing a prompt prefix to the 5-minute cache costs 1.25x the base input price,
# and reading it back costs 0.1x.
CACHE_WRITE_MULTIPLIER = 1.25
CACHE_READ_MULTIPLIER = 0.1

_PER_TOKEN = 1e-6  # prices are quoted per million tokens
# A prefix match must end at one of these, so "claude-opus-4-1" prices
# "claude-opus-4-1-20250805" but not a future "claude-opus-4-10".
_PREFIX_BOUNDARIES = frozenset("-@:/.")


class ModelPrice(BaseModel):
    """Price of one model, in USD per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0, description="USD per million prompt tokens.")
    output: float = Field(ge=0, description="USD per million generated tokens.")


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelPrice] = Field(default_factory=dict)


class PriceTable:
    """Looks up model prices and turns token counts into USD."""

    def __init__(self, models: Mapping[str, ModelPrice]) -> None:
        self._models = dict(models)

    @classmethod
    def load(cls, paths: TandemPaths | None = None) -> PriceTable:
        """Load the shipped prices, overridden by `<config_dir>/pricing.toml` if present."""
        shipped = resources.files("assets").joinpath("pricing.toml").read_text("utf-8")
        models = _parse(tomllib.loads(shipped), "the shipped assets/pricing.toml")
        if paths is not None:
            user_file = paths.config_dir / "pricing.toml"
            if user_file.exists():
                models.update(_parse(_read_toml(user_file), str(user_file)))
        return cls(models)

    @property
    def models(self) -> Mapping[str, ModelPrice]:
        """Every priced model name, as written in the price files."""
        return dict(self._models)

    def price(self, model: str) -> ModelPrice | None:
        """Return the price of `model`: an exact entry, else the longest entry it starts with.

        Dated model ids ("claude-sonnet-4-5-20250929") so find their family's price
        ("claude-sonnet-4-5"). None when no entry matches.
        """
        exact = self._models.get(model)
        if exact is not None:
            return exact
        candidates = [
            name
            for name in self._models
            if model.startswith(name) and model[len(name)] in _PREFIX_BOUNDARIES
        ]
        return self._models[max(candidates, key=len)] if candidates else None

    def cost_usd(
        self,
        model: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        *,
        cache_write_tokens: int = 0,
        cache_read_tokens: int = 0,
    ) -> float:
        """Return the USD cost of a call; 0 for a model with no price.

        `input_tokens` are the uncached prompt tokens, as Anthropic reports them:
        cache writes and reads are counted separately, at their own rates.
        """
        price = self.price(model)
        if price is None:
            return 0.0
        return _PER_TOKEN * (
            input_tokens * price.input
            + output_tokens * price.output
            + cache_write_tokens * price.input * CACHE_WRITE_MULTIPLIER
            + cache_read_tokens * price.input * CACHE_READ_MULTIPLIER
        )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read the price file {path} ({exc})",
            "fix the file, or delete it to use the shipped prices",
        ) from exc


def _parse(data: dict[str, Any], source: str) -> dict[str, ModelPrice]:
    try:
        return _PriceFile.model_validate(data).models
    except ValidationError as exc:
        raise ConfigError(
            f"invalid prices in {source}:\n{exc}",
            'each model needs `[models."NAME"]` with `input` and `output` in USD per '
            "million tokens",
        ) from exc
