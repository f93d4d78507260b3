"""Browser scenario: the app's page reaches no server but Tandem's own.

Flet's web client asks a CDN for a script as it starts, even when served from the
installed package; Tandem's page policy (app/gui/page_policy.py) makes the browser refuse
it before it leaves. Playwright still reports such a request, failed with "csp", so those
are the ones left out: any other request to another server (sent, or failed on this
offline machine for want of DNS) fails the test.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Request

from tests.e2e.conftest import GuiApp, open_app
from tests.e2e.gui_steps import ask

LOCAL_SCHEMES = ("data", "blob")
BLOCKED_BY_POLICY = "csp"
"""Chromium's failure text for a request its Content-Security-Policy refused."""


def test_the_page_requests_nothing_outside_tandem_s_own_server(gui_app: GuiApp, page: Page) -> None:
    own = urlsplit(gui_app.url)
    elsewhere: list[str] = []
    refused: list[str] = []

    def note(request: Request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in LOCAL_SCHEMES and url.netloc != own.netloc:
            elsewhere.append(request.url)

    def blocked(request: Request) -> None:
        if request.failure == BLOCKED_BY_POLICY:
            refused.append(request.url)

    page.on("request", note)
    page.on("requestfailed", blocked)
    open_app(page, gui_app.url)
    ask(page, "Hello")

    assert [url for url in elsewhere if url not in refused] == []
