"""Steps the GUI scenarios share: typing into a Flutter field, asking a question."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

ANSWER_TIMEOUT_MS = 90_000
"""The first turn waits for the privacy detectors to load: seconds on a slow machine."""
FOCUS_ATTEMPTS = 8
"""Clicks and DOM focus tried in turn: a loaded machine has been seen to miss four in a row."""
FOCUS_TIMEOUT_MS = 10_000


def type_into(page: Page, field: Locator, text: str) -> None:
    """Click `field` and type `text` like a user (Playwright's `fill` is unreliable here).

    Keys typed before Flutter has moved the focus are lost, so this waits for it.
    """
    for attempt in range(FOCUS_ATTEMPTS):
        if field.evaluate("element => element === document.activeElement"):
            break  # the app already put the cursor here (it does after each answer)
        page.bring_to_front()
        if attempt % 2:
            field.focus()  # the DOM focus event also makes Flutter focus its field
        else:
            field.click()
        try:
            # A busy machine (the first turn loads the model) can take seconds to focus.
            expect(field).to_be_focused(timeout=FOCUS_TIMEOUT_MS)
            break
        except AssertionError:
            if attempt == FOCUS_ATTEMPTS - 1:
                raise
    page.keyboard.type(text)


def chat_input(page: Page) -> Locator:
    """The chat's message field."""
    return page.get_by_label("Ask Tandem", exact=False)


def ask(page: Page, question: str, answers_so_far: int = 0) -> Locator:
    """Send `question` with Enter; wait until its answer is finished; return the answers."""
    type_into(page, chat_input(page), question)
    page.keyboard.press("Enter")
    # An answer's bubble carries its badge once routed and its stats once finished.
    finished = page.get_by_role("group", name=re.compile(r"^Tandem device [\s\S]* tok\/s"))
    expect(finished).to_have_count(answers_so_far + 1, timeout=ANSWER_TIMEOUT_MS)
    return finished
