"""Browser scenario: the local model crashes mid-conversation; the page stays and goes on.

A real segfault is injected into the app's model worker (`TANDEM_LLAMA_FAULT`)
for the first question only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from router.endpoints.llama_faults import ENV
from tests.e2e.conftest import GuiApp, open_app, screenshot
from tests.e2e.gui_steps import chat_input, type_into


def test_a_model_crash_costs_one_turn_not_the_app(
    page: Page, start_gui: Callable[..., GuiApp], tmp_path: Path
) -> None:
    crash = tmp_path / "crash"
    crash.touch()
    app = start_gui(env={ENV: f"segv-once:{crash}", "TANDEM_GENERATION__MAX_TOKENS": "8"})
    open_app(page, app.url)

    type_into(page, chat_input(page), "first question")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"crashed \(SIGSEGV\)")).first).to_be_visible(timeout=90_000)
    screenshot(page, "gui_model_crash")

    type_into(page, chat_input(page), "second question")
    page.keyboard.press("Enter")
    answer = page.get_by_role("group", name=re.compile(r"^Tandem device "))
    expect(answer.last).to_be_visible(timeout=90_000)
    expect(answer.last).to_have_accessible_name(re.compile(r"on this device \(local\) · "))
    assert not crash.exists()
