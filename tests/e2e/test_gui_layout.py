"""Browser scenario: a phone-sized window gets a bottom navigation bar; the theme toggles."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot


def test_a_narrow_window_gets_a_bottom_bar_and_a_dark_theme(page: Page, gui_app: GuiApp) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    open_app(page, gui_app.url)
    # The bottom bar's destinations are tabs (the rail's are buttons).
    tab = page.get_by_role("tab", name="Dashboard")
    expect(tab).to_be_visible()
    box = tab.bounding_box()
    assert box is not None and box["y"] > 600  # at the bottom, not in a rail on the left
    # One panel at a time: the chat, with the conversation list behind a button.
    expect(page.get_by_label("Ask Tandem", exact=False)).to_be_visible()
    expect(page.get_by_role("textbox", name="Search conversations")).to_have_count(0)

    page.get_by_role("button", name="Dark theme").click()
    expect(page.get_by_role("button", name="Light theme")).to_be_visible()
    screenshot(page, "gui_layout_narrow_dark")

    page.get_by_role("button", name="Show or hide conversations").click()
    expect(page.get_by_role("textbox", name="Search conversations")).to_be_visible()
    page.get_by_role("button", name="Back to the chat").click()
    expect(page.get_by_role("textbox", name="Search conversations")).to_have_count(0)

    page.set_viewport_size({"width": 1280, "height": 800})
    rail = page.get_by_role("button", name="Dashboard").first
    expect(rail).to_be_visible()
    expect(page.get_by_role("tab", name="Dashboard")).to_have_count(0)
    expect(page.get_by_role("button", name="Dark theme")).to_have_count(0)  # still dark
    box = rail.bounding_box()
    assert box is not None and box["x"] < 120  # back in the rail on the left
    # Wide again: the conversation list is back beside the chat.
    expect(page.get_by_role("textbox", name="Search conversations")).to_be_visible()
    screenshot(page, "gui_layout_wide_dark")
