"""The `[privacy]` settings: how turns are scanned, and the user's own rules.

The top-level `Settings` composes this section with the others.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from router.privacy.rules import PrivacyRule


class PrivacySettings(BaseModel):
    """How turns are scanned for sensitive data, and the user's own rules."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

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
    judge: Literal["off", "device"] = Field(
        default="off",
        description="A public name whose context leaves it in doubt (a task, a statement, a "
        "long text): `off` keeps it private; `device` asks the device's own model, once per "
        "such message before it leaves, whether it is public knowledge (only a clear `public` "
        "sends it; any failure keeps it private).",
    )
