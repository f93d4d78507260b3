"""Browser scenario: the conversation list: new, search, rename, delete."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot
from tests.e2e.gui_steps import ANSWER_TIMEOUT_MS, chat_input, type_into


def ask_new(page: Page, question: str) -> None:
    """Send `question` and wait for its conversation to appear in the list."""
    type_into(page, chat_input(page), question)
    page.keyboard.press("Enter")
    entry = page.get_by_role("button", name=re.compile(f"Rename or delete {question}"))
    expect(entry).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


def test_conversations_can_be_searched_renamed_and_deleted(page: Page, gui_app: GuiApp) -> None:
    open_app(page, gui_app.url)
    ask_new(page, "Plan a trip to Lisbon")
    page.get_by_role("button", name="New conversation").click()
    ask_new(page, "Bake sourdough bread")

    type_into(page, page.get_by_role("textbox", name="Search conversations"), "Lisbon")
    page.keyboard.press("Enter")
    # The first search opens the memory index and its embedding model: seconds.
    expect(page.get_by_role("button", name=re.compile("Rename or delete Bake"))).to_have_count(
        0, timeout=90_000
    )
    expect(
        page.get_by_role("button", name=re.compile("Rename or delete Plan a trip"))
    ).to_have_count(1)
    screenshot(page, "gui_conversations_search")

    page.get_by_role("button", name="Actions for Plan a trip to Lisbon").click()
    page.get_by_role("menuitem", name="Rename").click()
    title = page.get_by_label("New title")
    title.click()
    expect(title).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Lisbon holiday")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("button", name=re.compile("Rename or delete Lisbon holiday"))
    ).to_be_visible()

    page.get_by_role("button", name="Actions for Lisbon holiday").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("No matching conversations")).to_be_visible()
    screenshot(page, "gui_conversations_deleted")
