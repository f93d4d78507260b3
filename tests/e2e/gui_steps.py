"""Steps the GUI scenarios share: typing into a Flutter field, asking a question."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

ANSWER_TIMEOUT_MS = 90_000
"""The first turn waits for the privacy detectors to load: seconds on a slow machine."""
FOCUS_TIMEOUT_MS = 30_000
"""How long a busy page may take to let a tooltip go, or to focus a clicked field."""
_FLUTTER_HOLDS_KEYBOARD = """() => Boolean(
    document.activeElement && document.activeElement.classList.contains('flt-text-editing'))"""
"""Whether Flutter's own hidden editing element has the keyboard: its text input started
before the semantics tree was on, and no field's accessible element can take the focus."""
_NO_TOOLTIP = """() => ![...document.querySelectorAll('flt-semantics')].some((layer) => {
    const fills = (e) => {
        const box = e.getBoundingClientRect();
        return Math.round(box.width) === innerWidth && Math.round(box.height) === innerHeight;
    };
    const below = layer.previousElementSibling;
    return below && fills(layer) && fills(below) && layer.textContent.trim() !== ''
        && !layer.querySelector('[role], [tabindex], input, textarea');
})"""
"""No tooltip is shown: Flutter puts one in a layer of its own over the page's layer, a
layer that fills the view and holds text only (a dialog's layer holds controls)."""


def type_into(page: Page, field: Locator, text: str) -> None:
    """Click `field` (unless it has the focus already) and type `text` like a user.

    Playwright's `fill` is unreliable here, and keys typed before the field has the
    focus are lost, so this waits for the focus and checks that the text arrived.
    """
    if page.evaluate(_FLUTTER_HOLDS_KEYBOARD):
        raise AssertionError(
            "Flutter's text input started before its semantics tree was on, so no click can "
            "focus a field now: open the page with open_app, which turns semantics on first"
        )
    # A tooltip shows while the mouse rests on its control (the last one clicked), and when
    # it shows or hides Flutter moves the page's elements under a new parent, which takes
    # the focus from the field: leave that control, and let its tooltip go, first.
    field.hover()
    page.wait_for_function(_NO_TOOLTIP, timeout=FOCUS_TIMEOUT_MS)
    # No click where the app put the cursor already (the chat field, at start and after answers).
    if not field.evaluate("element => element === document.activeElement"):
        field.click()
    expect(field).to_be_focused(timeout=FOCUS_TIMEOUT_MS)
    page.keyboard.type(text)
    # The field itself, not `field`: a label taken from the hint ("Ask Tandem…") goes with it.
    expect(page.locator(":focus")).to_have_value(text)


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
