"""Camera consent end to end: an MCP client asks the web app for a photo; the page decides.

The app runs with `--mcp-port`; headless Chromium (fake camera) has it open. An
official-SDK client calls `camera_capture` over streamable HTTP with the token,
the consent dialog appears in the page naming the client, and the test clicks
Allow (the client gets a JPEG from the browser's camera) or Deny (a refusal).
"""

from __future__ import annotations

import base64
import io
from concurrent.futures import Future

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, ImageContent, Implementation
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    GuiApp,
    open_app,
    run_async_in_thread,
    screenshot,
    shots_dir,
    wait_for_mcp,
)

CLIENT_NAME = "e2e-photo-client"
ANSWER_TIMEOUT_S = 90


async def capture(app: GuiApp) -> CallToolResult:
    assert app.mcp_url is not None and app.mcp_token is not None
    headers = {"Authorization": f"Bearer {app.mcp_token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http,
        Client(
            streamable_http_client(app.mcp_url, http_client=http),
            client_info=Implementation(name=CLIENT_NAME, version="1.0"),
        ) as client,
    ):
        return await client.call_tool("camera_capture", {})


def ask_for_a_photo(page: Page, app: GuiApp) -> Future[CallToolResult]:
    open_app(page, app.url)
    wait_for_mcp(app)
    pending = run_async_in_thread(lambda: capture(app))
    expect(page.get_by_text(f"{CLIENT_NAME} 1.0 wants to take a photo")).to_be_visible(
        timeout=60_000
    )
    return pending


def test_allowed_capture_returns_a_jpeg_from_the_browser_camera(
    gui_app_mcp: GuiApp, page: Page
) -> None:
    pending = ask_for_a_photo(page, gui_app_mcp)
    expect(page.get_by_text("Allow the camera?")).to_be_visible()
    page.wait_for_timeout(800)  # not a check: lets the dialog's fade-in finish for the picture
    screenshot(page, "camera-consent-dialog")

    page.get_by_role("button", name="Allow", exact=True).click()
    result = pending.result(timeout=ANSWER_TIMEOUT_S)

    assert not result.is_error, result.content
    images = [block for block in result.content if isinstance(block, ImageContent)]
    assert len(images) == 1 and images[0].mime_type == "image/jpeg"
    jpeg = base64.b64decode(images[0].data)
    assert jpeg[:3] == b"\xff\xd8\xff"
    picture = Image.open(io.BytesIO(jpeg))
    picture.load()
    assert picture.format == "JPEG" and picture.width >= 32 and picture.height >= 32
    red, green, blue = picture.convert("RGB").resize((1, 1)).getpixel((0, 0))  # type: ignore[misc]
    assert green > red + 40 and green > blue + 40  # Chromium's fake camera paints green frames
    (shots_dir() / "camera-photo.jpg").write_bytes(jpeg)
    expect(page.get_by_text("Allow the camera?")).to_have_count(0)
    screenshot(page, "camera-after-capture")


def test_denied_capture_is_refused_and_takes_no_photo(gui_app_mcp: GuiApp, page: Page) -> None:
    pending = ask_for_a_photo(page, gui_app_mcp)

    page.get_by_role("button", name="Deny").click()
    result = pending.result(timeout=ANSWER_TIMEOUT_S)

    assert result.is_error
    assert not [block for block in result.content if isinstance(block, ImageContent)]
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert "did not allow the camera" in text
    expect(page.get_by_text("Allow the camera?")).to_have_count(0)
