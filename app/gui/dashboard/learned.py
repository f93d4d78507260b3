"""The Dashboard's "Learned from your ratings" panel, as text (no Flet).

What the user's thumbs and re-answers taught routing (router/ledger/feedback.py's
summary): ratings per tier, the questions answered on both tiers and which answer
won, and how many routes the ratings changed; then one sentence on what the
correction does (router/policy/user_ratings.py), naming its priors.
"""

from __future__ import annotations

from router.ledger.feedback import FeedbackSummary
from router.policy.user_ratings import GLOBAL_PSEUDO_COUNT, LOCAL_PSEUDO_COUNT

EMPTY = (
    "No ratings yet. Rate answers in the chat with the thumbs under them, or ask the other "
    "tier, and Tandem routes questions like them by what you said."
)
HOW_IT_LEARNS = (
    "Each rating adjusts the predicted quality of the tier that answered: most on questions "
    "similar to the one you rated, a little on all. The learned, budget and rules policies "
    "route by the adjusted figure. How far one rating moves it is set by priors (pseudo-counts "
    f"set by hand): the model's own prediction counts as {GLOBAL_PSEUDO_COUNT:g} ratings of "
    f"a tier, and that as {LOCAL_PSEUDO_COUNT:g} ratings of similar questions."
)
TIER_NAMES = {"local": "this device", "edge": "edge", "cloud": "cloud"}
"""How the panel lists a tier (the ledger's endpoint kinds)."""
_PREFERRED_NAMES = {"local": "this device", "edge": "the edge", "cloud": "the cloud"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def learned_lines(summary: FeedbackSummary) -> list[str]:
    """The panel's lines for `summary`; none when there is nothing learned yet (see `EMPTY`)."""
    if not (summary.ratings or summary.pairs or summary.routes_changed):
        return []
    per_tier = " · ".join(
        f"{TIER_NAMES.get(t.kind, t.kind)} {t.good} good, {t.bad} bad"
        for t in sorted(summary.tiers, key=lambda t: (t.kind != "local", t.kind))
    )
    lines = [f"{_plural(summary.ratings, 'rating')}" + (f": {per_tier}" if per_tier else "")]
    if summary.pairs:
        lines.append(
            f"{_plural(summary.pairs, 'question')} answered on both tiers: {_won(summary)}"
        )
    lines.append(f"Your ratings changed the route of {_plural(summary.routes_changed, 'turn')}.")
    lines.append(HOW_IT_LEARNS)
    return lines


def _won(summary: FeedbackSummary) -> str:
    """Which tier's answer the user preferred, in how many of the pairs."""
    wins = sorted(summary.preferred.items(), key=lambda item: (-item[1], item[0]))
    undecided = summary.pairs - sum(summary.preferred.values())
    if not wins:
        return "no preference given yet"
    said = "you preferred " + ", ".join(
        f"{_PREFERRED_NAMES.get(kind, kind)} in {n}" for kind, n in wins
    )
    return said + (f"; {undecided} undecided" if undecided > 0 else "")
