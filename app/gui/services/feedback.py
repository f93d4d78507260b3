"""The runtime's one `Feedback`: ratings and re-answers, for every page's chat and Dashboard.

`Feedback` (router/runtime/feedback.py) embeds rated questions with the pipeline's
embedder and writes the ledger; one per runtime keeps a single embedder and store
for all the pages the app serves.
"""

from __future__ import annotations

from router import Runtime
from router.runtime.feedback import Feedback

_BY_RUNTIME: dict[int, Feedback] = {}


def feedback_for(runtime: Runtime) -> Feedback:
    """The one `Feedback` of `runtime` (created on first use)."""
    feedback = _BY_RUNTIME.get(id(runtime))
    # The entry keeps its pipeline alive, so a reused id cannot pass for its runtime.
    if feedback is None or feedback.pipeline is not runtime.pipeline:
        feedback = _BY_RUNTIME[id(runtime)] = Feedback(runtime.pipeline)
    return feedback
