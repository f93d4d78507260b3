"""Browser scenario: add a privacy rule, then see a matching turn kept local with its reason."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot
from tests.e2e.gui_steps import chat_input, type_into


def test_a_new_rule_keeps_a_matching_turn_local_and_says_why(page: Page, gui_app: GuiApp) -> None:
    open_app(page, gui_app.url)
    page.get_by_role("button", name="Privacy").first.click()
    page.get_by_role("button", name="Add rule").click()
    for label, text in (
        ("Name", "bluebird"),
        ("Reason (shown with each turn it decides)", "mentions project bluebird"),
        ("Keywords or phrases, comma-separated", "bluebird"),
    ):
        type_into(page, page.get_by_label(label, exact=True), text)
    page.get_by_role("button", name="Save rule").click()
    # The rule is listed with its keyword and reason (the row is one labelled group).
    rule = page.get_by_role("group", name=re.compile("“bluebird” — mentions project bluebird"))
    expect(rule).to_be_visible()
    screenshot(page, "gui_privacy_rule_added")

    page.get_by_role("button", name="Chat").first.click()
    type_into(page, chat_input(page), "What is the status of project Bluebird?")
    page.keyboard.press("Enter")

    # The first turn waits for the privacy detectors to load (seconds on a slow machine).
    answer = page.get_by_role("group", name=re.compile(r"^Tandem device "))
    expect(answer).to_be_visible(timeout=90_000)
    expect(answer).to_have_accessible_name(
        re.compile(r"on this device \(local\) · kept local: mentions project bluebird")
    )
    page.get_by_role("button", name="Details").first.click()
    expect(
        page.get_by_text("kept on this device: mentions project bluebird", exact=False)
    ).to_be_visible()
    expect(
        page.get_by_text("nothing: the turn was answered on this device", exact=False)
    ).to_be_visible()
    screenshot(page, "gui_privacy_turn_kept_local")
