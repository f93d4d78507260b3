"""Browser scenario: open the MCP view and read the token MCP clients need."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import GuiApp, open_app, screenshot


@pytest.fixture
def clipboard_page(browser: Browser) -> Iterator[Page]:
    """A page whose clipboard the test may read (what "Copy token" put there)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def test_the_mcp_view_shows_the_token_and_copies_it(
    clipboard_page: Page, gui_app_mcp: GuiApp
) -> None:
    page = clipboard_page
    open_app(page, gui_app_mcp.url)
    page.get_by_role("button", name="MCP").first.click()
    # The servers' card (one labelled group) says where the in-app server listens.
    servers = page.get_by_role("group", name=re.compile("Tandem's servers"))
    expect(servers).to_have_accessible_name(re.compile(re.escape(gui_app_mcp.mcp_url or "?")))
    copy = page.get_by_role("button", name="Copy token")
    expect(copy).to_be_visible()
    screenshot(page, "gui_mcp_token")

    copy.click()
    assert gui_app_mcp.mcp_token
    # The copy is a round trip through the server; poll the clipboard until it lands.
    page.wait_for_function(
        "async (token) => (await navigator.clipboard.readText()) === token",
        arg=gui_app_mcp.mcp_token,
        timeout=15_000,
    )
