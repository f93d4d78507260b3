"""Browser scenario: take a photo in the chat with the camera; its chip says it stays local.

Headless Chromium has a fake camera (`--use-fake-device-for-media-stream`) whose
permission is granted (`--use-fake-ui-for-media-stream`), so the preview shows
Chromium's moving test pattern and the still is a real JPEG from the browser.
The no-camera scenario launches its own Chromium without those flags; it comes
first in this file because Playwright's sync API allows one instance at a time,
and the shared `browser` fixture keeps its instance open until the module ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, GuiApp, open_app, screenshot
from tests.e2e.gui_steps import ANSWER_TIMEOUT_MS, chat_input, type_into

QUESTION = "What is in this photo?"
CAMERA_START_MS = 60_000
PHOTO_CHIP = re.compile(r"^photo-\d{8}-\d{6}\.jpg · stays local$")
FAKE_CAMERA = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")


@pytest.fixture
def page_without_camera() -> Iterator[Page]:
    """A page in a Chromium with no camera at all (none in this headless machine)."""
    args = [arg for arg in CHROMIUM_ARGS if arg not in FAKE_CAMERA]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(30_000)
        yield context.new_page()
        browser.close()


def test_without_a_camera_the_chat_says_so_and_keeps_the_question(
    gui_app: GuiApp, page_without_camera: Page
) -> None:
    page = page_without_camera
    open_app(page, gui_app.url)
    type_into(page, chat_input(page), QUESTION)

    page.get_by_role("button", name="Take a photo").click()

    expect(
        page.get_by_text("No photo was taken: no camera was found on this device", exact=False)
    ).to_be_visible(timeout=CAMERA_START_MS)
    expect(page.get_by_role("button", name="Take photo", exact=True)).to_have_count(0)
    screenshot(page, "chat-camera-none")
    # Nothing typed was lost: sending now sends the question, with no photo.
    page.get_by_role("button", name="Send").click()
    answer = page.get_by_role("group", name=re.compile(r"^Tandem device "))
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text(QUESTION).first).to_be_visible()
    expect(page.get_by_label(re.compile(r"^photo-"))).to_have_count(0)


def test_a_camera_photo_is_attached_kept_local_and_the_question_survives(
    gui_app: GuiApp, page: Page
) -> None:
    open_app(page, gui_app.url)
    # Typed first: the question must survive the preview (cancelled, then taken).
    type_into(page, chat_input(page), QUESTION)

    # Cancel attaches nothing.
    page.get_by_role("button", name="Take a photo").click()
    expect(page.get_by_role("button", name="Take photo", exact=True)).to_be_enabled(
        timeout=CAMERA_START_MS
    )
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Take photo", exact=True)).to_have_count(0)
    expect(page.get_by_label(PHOTO_CHIP)).to_have_count(0)

    page.get_by_role("button", name="Take a photo").click()
    take = page.get_by_role("button", name="Take photo", exact=True)
    expect(take).to_be_enabled(timeout=CAMERA_START_MS)
    expect(page.get_by_text("nothing is sent before you send", exact=False)).to_be_visible()
    page.wait_for_timeout(800)  # not a check: lets the preview paint a frame for the picture
    screenshot(page, "chat-camera-preview")
    take.click()

    # The photo is checked against the rules: the default `images` rule keeps it local.
    chip = page.get_by_label(PHOTO_CHIP)
    expect(chip).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Take photo", exact=True)).to_have_count(0)
    screenshot(page, "chat-camera-chip")

    page.get_by_role("button", name="Send").click()
    answer = page.get_by_role("group", name=re.compile(r"^Tandem device "))
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_have_accessible_name(re.compile("kept local: has an image attached"))
    # The question typed before the camera opened is the one that was sent.
    expect(page.get_by_text(QUESTION).first).to_be_visible()
    expect(
        page.get_by_label(re.compile(r"^photo-\d{8}-\d{6}\.jpg · stayed on this device$"))
    ).to_be_visible()
    expect(page.get_by_label(PHOTO_CHIP)).to_have_count(0)
    screenshot(page, "chat-camera-answered")
