"""Training targets of the single-turn routers, as soft labels in [0, 1].

Targets are soft labels in [0, 1] and every model minimises cross-entropy
against them; a score always estimates (1 + expected gap) / 2, the gap being
q(strong) - q(weak) in [-1, 1]. Two targets (`TARGETS`):

- `gap`: the label is (1 + d) / 2 for the prompt's observed gap d. The optimum
  ranks prompts by the expected gain of calling the strong model; ties (both
  right, both wrong) sit at 0.5. It trusts the strong model's labels.
- `weak_failure`: the label is (1 + c * (1 - q(weak))) / 2, so prompts are
  ranked by how likely the weak model is to fail, and the strong model's labels
  only set the scale c (the gap per unit of weak failure, least squares). It
  assumes the strong model is at least as good wherever the weak one fails,
  and so survives strong labels that are wrong on whole topics (RouteLLM's
  GPT-4 MMLU labels score it 3% on high-school mathematics, Mixtral 32%),
  which teach the `gap` target that mathematics gains nothing from GPT-4.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

TARGETS = ("gap", "weak_failure")


def soft_labels(weak_quality: Array, strong_quality: Array, target: str) -> tuple[Array, float]:
    """Each prompt's training label, and the gap per unit of weak failure it assumes.

    `gap`: (1 + gap) / 2 with scale 1. `weak_failure`: (1 + c * (1 - q_weak)) / 2,
    c = sum(gap * fail) / sum(fail^2), the least-squares gap per unit of failure
    (for 0/1 qualities, the share of the weak model's failures the strong one gets right).
    """
    gap = strong_quality - weak_quality
    if target == "gap":
        return (1.0 + gap) / 2.0, 1.0
    if target != "weak_failure":
        raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")
    fails = 1.0 - weak_quality
    denominator = float(np.sum(fails**2))
    scale = float(np.sum(gap * fails) / denominator) if denominator > 0 else 0.0
    if scale <= 0.0:
        raise ValueError(
            "the strong endpoint never does better where the weak one fails; "
            "train with target 'gap'"
        )
    scale = min(scale, 1.0)
    return (1.0 + scale * fails) / 2.0, scale
