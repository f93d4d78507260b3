"""Cheap text features a router reads next to the embedding (numpy and stdlib only).

The list and its order are part of an artifact's feature spec (`CHEAP_VERSION`);
changing either needs a new version so old artifacts are not misread.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

CHEAP_VERSION = 1
CHEAP_FEATURES = (
    "log_chars",
    "log_lines",
    "digit_share",
    "math_symbol_share",
    "code_marks",
    "question_marks",
    "choices",
    "upper_share",
)
_CODE = re.compile(r"```|\bdef |\bclass |\breturn\b|[{};]\s*$|#include|\bfunction\b", re.M)
_CHOICES = re.compile(r"^\s*[A-D][.)]\s", re.M)
_MATH = set("+-*/=^<>%()")


def cheap_vector(text: str) -> list[float]:
    """The `CHEAP_FEATURES` of one text, each roughly in [0, 1]."""
    n = max(len(text), 1)
    return [
        math.log1p(len(text)) / 8.0,
        math.log1p(text.count("\n")) / 4.0,
        sum(c.isdigit() for c in text) / n,
        sum(c in _MATH for c in text) / n,
        min(len(_CODE.findall(text)), 5) / 5.0,
        min(text.count("?"), 5) / 5.0,
        float(len(_CHOICES.findall(text)) >= 3),
        sum(c.isupper() for c in text) / n,
    ]


def cheap_matrix(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """One row of `CHEAP_FEATURES` per text."""
    if not texts:
        return np.zeros((0, len(CHEAP_FEATURES)), dtype=np.float32)
    return np.array([cheap_vector(t) for t in texts], dtype=np.float32)
