"""The `[memory]` settings: where every turn is indexed (Chroma).

The top-level `Settings` composes this section with the others.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MemorySettings(BaseModel):
    """Where every turn is indexed for search and retrieval (Chroma)."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Index turns in Chroma for retrieval.")
    server_url: str | None = Field(
        default=None,
        description="A `chroma run` server (http://host:port) shared by several devices; "
        "None keeps the index in this device's data folder.",
    )
    collection: str = Field(default="turns", description="Chroma collection name.")
