"""Browser scenario: pick files with the file picker; chips say which ones will be sent."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot
from tests.e2e.gui_steps import chat_input, type_into

BLUEBIRD_RULE = {
    "name": "bluebird",
    "keywords": ["bluebird"],
    "action": "keep_local",
    "reason": "mentions project bluebird",
}


def test_picked_files_show_chips_saying_whether_they_are_sent(
    page: Page, start_gui: Callable[..., GuiApp], tmp_path: Path
) -> None:
    app = start_gui(env={"TANDEM_PRIVACY__RULES": json.dumps([BLUEBIRD_RULE])})
    notes = tmp_path / "notes.txt"
    notes.write_text("Lunch with the team at noon.")
    plan = tmp_path / "plan.txt"
    plan.write_text("The bluebird launch is on Friday.")
    open_app(page, app.url)
    # The question is typed first: after the browser's file chooser closes, the page
    # does not give a click on the text field the keyboard focus back.
    type_into(page, chat_input(page), "What do these files say?")

    # Flet's FilePicker in a browser opens the browser's own file chooser.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files([str(notes), str(plan)])

    # Each file is checked against the rules as soon as it is picked.
    expect(page.get_by_label("notes.txt · will be sent")).to_be_visible(timeout=90_000)
    expect(page.get_by_label("plan.txt · stays local")).to_be_visible()
    screenshot(page, "gui_attachments_picked")

    page.get_by_role("button", name="Send").click()
    answer = page.get_by_role("group", name=re.compile(r"^Tandem device "))
    expect(answer).to_be_visible(timeout=90_000)
    # The plan keeps the whole turn on the device: neither file left it.
    expect(answer).to_have_accessible_name(re.compile("kept local: mentions project bluebird"))
    question = page.get_by_text(re.compile("What do these files say"))
    expect(question.first).to_be_visible()
    expect(page.get_by_label("notes.txt · stayed on this device")).to_be_visible()
    expect(page.get_by_label("plan.txt · stayed on this device")).to_be_visible()
    # The chips under the input are gone: the files went with the question.
    expect(page.get_by_label("notes.txt · will be sent")).to_have_count(0)
    screenshot(page, "gui_attachments_sent")
