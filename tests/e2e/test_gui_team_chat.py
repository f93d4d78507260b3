"""Browser scenario: switch the chat to team mode and get an answer badged `team`."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot
from tests.e2e.gui_steps import ANSWER_TIMEOUT_MS, type_into

TEAM_TIMEOUT_MS = 3 * ANSWER_TIMEOUT_MS
"""The default team (three device agents, two rounds) makes six calls to the tiny model."""


def test_the_team_switch_gets_a_team_badged_answer(page: Page, gui_app: GuiApp) -> None:
    open_app(page, gui_app.url)
    switch = page.get_by_role("switch", name=re.compile("Team"))
    expect(switch).to_be_visible()
    switch.click()
    expect(switch).to_be_checked()
    # Resting on the switch shows what team mode does (and announces it); typing next must
    # still reach the field when that tooltip goes (its coming and going moves the page's
    # accessible elements).
    tooltip = page.locator("flt-semantics > span", has_text="Team mode: each message is answered")
    expect(tooltip).to_be_visible()
    # The input says who will answer: the Team section's team (its defaults here).
    field = page.get_by_label("Ask the team (debate over mesh", exact=False)
    type_into(page, field, "Name a colour.")
    page.keyboard.press("Enter")

    answer = page.get_by_role("group", name=re.compile(r"^Tandem team "))
    expect(answer).to_have_accessible_name(
        re.compile(r"tok between agents · \d+ calls, \d+ tok in all · \$0\.0000 · [\d.]+ s$"),
        timeout=TEAM_TIMEOUT_MS,
    )
    page.get_by_role("button", name="Details").first.click()
    expect(page.get_by_text("Messages between agents")).to_be_visible()
    screenshot(page, "gui_team_chat_answer")
