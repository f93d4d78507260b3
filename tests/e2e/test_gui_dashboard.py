"""Browser scenario: the dashboard counts the turns just made in the chat."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot
from tests.e2e.gui_steps import ask

BLUEBIRD_RULE = {
    "name": "bluebird",
    "keywords": ["bluebird"],
    "action": "keep_local",
    "reason": "mentions project bluebird",
}


def test_the_dashboard_shows_the_turns_just_made(
    page: Page, start_gui: Callable[..., GuiApp]
) -> None:
    app = start_gui(env={"TANDEM_PRIVACY__RULES": json.dumps([BLUEBIRD_RULE])})
    open_app(page, app.url)
    ask(page, "Hello there", 0)
    ask(page, "How is project bluebird going?", 1)

    page.get_by_role("button", name="Dashboard").first.click()
    expect(
        page.get_by_text(re.compile(r"^2 finished turns · \$0\.0000 spent in all"))
    ).to_be_visible()
    # Both turns ran on the device: the share chart's legend says so.
    expect(page.get_by_text("local (local): 2 (100%)").first).to_be_visible()
    screenshot(page, "gui_dashboard_after_two_turns")
