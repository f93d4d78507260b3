"""Browser scenario: ask a question, watch the answer stream in with its route badge."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot
from tests.e2e.gui_steps import chat_input, type_into


def test_a_message_gets_a_streamed_answer_with_its_route_badge(page: Page, gui_app: GuiApp) -> None:
    open_app(page, gui_app.url)
    # The shell: one destination per section, the chat shown first.
    for label in ("Chat", "Team", "Privacy", "Models", "MCP", "Dashboard"):
        expect(page.get_by_role("button", name=label).first).to_be_visible()

    # The cursor starts in the message field.
    expect(chat_input(page)).to_be_focused()
    type_into(page, chat_input(page), "What is the capital of France?")
    page.keyboard.press("Enter")

    # The first turn waits for the privacy detectors to load (seconds on a slow machine).
    expect(page.get_by_text("What is the capital of France?").first).to_be_visible(timeout=90_000)
    # The answer's bubble: its route badge, the route with the policy's reason, and its stats.
    # Flutter merges a bubble with a button into one labelled group.
    answer = page.get_by_role("group", name=re.compile(r"^Tandem device "))
    expect(answer).to_be_visible(timeout=90_000)
    expect(answer).to_have_accessible_name(re.compile(r"on this device \(local\) · "))
    expect(answer).to_have_accessible_name(re.compile(r"\d+ in / \d+ out tokens · .* tok/s"))
    expect(answer).to_have_accessible_name(re.compile(r"free \(on this device\)$"))

    page.get_by_role("button", name="Details").first.click()
    expect(page.get_by_text("What was sent")).to_be_visible()
    expect(
        page.get_by_text("nothing: the turn was answered on this device", exact=False)
    ).to_be_visible()
    screenshot(page, "gui_chat_streamed_answer")
