"""A settings section's message line: an error with its hint replaces the notice."""

from app.gui.outcome import ActionOutcome
from router.errors import TandemError


def test_a_failure_shows_the_hint_and_clears_the_notice_and_success_clears_the_error() -> None:
    changes: list[tuple[str | None, str]] = []
    outcome = ActionOutcome(lambda: changes.append((outcome.error, outcome.notice)))
    outcome.notice = "saved"
    assert outcome.fail(TandemError("no such model", "pick one from the list")) is False
    outcome.notice = "model loaded"
    assert outcome.done() is True
    assert changes == [("no such model (pick one from the list)", ""), (None, "model loaded")]
