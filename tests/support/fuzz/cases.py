"""The seeded cases of the egress fuzz: where each turn's private values go, and how.

Case `i` takes position `POSITIONS[i % 7]`, so every position gets its share;
attachments walk through every format x encoding in turn (PDF and Word files
have no text encoding), and team cases alternate between a value in the task
and one in a device agent's message. Everything else (the kinds, how many
values, their spellings, the control phrase) comes from `random.Random(seed)`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from tests.support.fuzz.files import BINARY_FORMATS, ENCODINGS, TEXT_FORMATS
from tests.support.fuzz.values import CONTROLS, KINDS, PrivateValue, make_value

Position = Literal["prompt", "history", "attachment", "tool_result", "summary", "team", "memory"]
POSITIONS: tuple[Position, ...] = (
    "prompt",
    "history",
    "attachment",
    "tool_result",
    "summary",
    "team",
    "memory",
)
FILE_NAME = "file name"
"""An attachment case whose values are in the file's name (a UTF-8 text file)."""
ATTACHMENT_FORMATS = (*TEXT_FORMATS, *BINARY_FORMATS, FILE_NAME)
PLACES: dict[str, tuple[str, ...]] = {
    "history": ("question", "answer"),
    "tool_result": ("text", "json"),
    "team": ("task", "agent message"),
}
"""Where within its position a case's values go, in turn."""


@dataclass(frozen=True)
class Case:
    """One generated turn: its private values, where they are, and a public control phrase."""

    index: int
    position: Position
    fmt: str
    """The attachment's format, or where within the position the values are (`PLACES`)."""
    encoding: str
    """The attachment's text encoding; "-" otherwise."""
    values: tuple[PrivateValue, ...]
    control: str

    @property
    def text(self) -> str:
        """The values' sentences, in order: what the position carries."""
        return " ".join(v.sentence for v in self.values)

    @property
    def session(self) -> str:
        """A session of its own, so no case sees another's history or placeholders."""
        return f"fuzz-{self.index}"


def generate(turns: int, seed: int = 17) -> list[Case]:
    """`turns` cases, the same for the same seed."""
    rng = random.Random(seed)
    out: list[Case] = []
    for index in range(turns):
        position = POSITIONS[index % len(POSITIONS)]
        nth = index // len(POSITIONS)  # how many cases this position had before
        fmt = encoding = "-"
        if position == "attachment":
            fmt, encoding = attachment_kind(nth)
        elif position in PLACES:
            fmt = PLACES[position][nth % len(PLACES[position])]
        count = 2 if rng.random() < 0.3 else 1
        values = tuple(_value(rng, fmt) for _ in range(count))
        out.append(Case(index, position, fmt, encoding, values, rng.choice(CONTROLS)))
    return out


def attachment_kind(nth: int) -> tuple[str, str]:
    """The `nth` attachment case's (format, encoding): formats in turn, and each text format
    through every encoding, starting at its own so that every round mixes them."""
    fmt = ATTACHMENT_FORMATS[nth % len(ATTACHMENT_FORMATS)]
    if fmt in BINARY_FORMATS:
        return fmt, "-"
    if fmt == FILE_NAME:
        return fmt, "utf-8"
    encodings = list(ENCODINGS)
    start = TEXT_FORMATS.index(fmt)
    return fmt, encodings[(start + nth // len(ATTACHMENT_FORMATS)) % len(encodings)]


def _value(rng: random.Random, fmt: str) -> PrivateValue:
    kind = rng.choice(KINDS)
    value = make_value(kind, rng)
    if fmt == "pdf" and not value.placed.isascii():
        # The PDF's font writes Latin-1 only: spellings beyond it are written plainly.
        return make_value(kind, rng, "plain")
    if fmt == FILE_NAME and "/" in value.placed:
        return make_value(kind, rng, "plain")  # a base64 blob may hold a "/"
    return value
