"""One user routing rule (`[[routing.rules]]`): its conditions and where matching turns go.

Apart from the `rules` policy that applies it (router/policy/rules.py), so the
settings (router/policy/settings.py) can describe it without importing the policies.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from router.policy.features import Modality, Task, TurnFeatures


class RoutingRule(BaseModel):
    """One user routing rule: conditions (all must hold) and where matching turns go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", description="Shown in the decision's reason.")
    task: tuple[Task, ...] = Field(
        default=(),
        description="Task types that match (code, math, writing, translation, summarization, "
        "extraction, reasoning, chat); empty matches any.",
    )
    modality: tuple[Modality, ...] = Field(
        default=(),
        description="Matches when the turn carries an attachment of one of these modalities "
        "(image, text, document, audio, video, other).",
    )
    language: tuple[str, ...] = Field(
        default=(), description="ISO 639-1 codes of the message language that match."
    )
    min_chars: int | None = Field(default=None, ge=0, description="Message at least this long.")
    max_chars: int | None = Field(default=None, ge=0, description="Message at most this long.")
    session: str | None = Field(default=None, description="Only this conversation id.")
    action: str = Field(description="An endpoint name, `local`, or `remote`.")

    def matches(self, features: TurnFeatures) -> bool:
        """True when every condition the rule sets holds for the turn."""
        return (
            (not self.task or features.task in self.task)
            and (not self.modality or bool(features.modalities & set(self.modality)))
            and (not self.language or features.language in self.language)
            and (self.min_chars is None or features.chars >= self.min_chars)
            and (self.max_chars is None or features.chars <= self.max_chars)
            and (self.session is None or features.session_id == self.session)
        )

    def label(self, index: int) -> str:
        """The rule's name, or its position when unnamed."""
        return self.name or f"rule {index + 1}"
