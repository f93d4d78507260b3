"""Browser scenario: rate an answer, ask the cloud for another, see the Dashboard count both.

The cloud is an Anthropic-compatible fake on loopback (tests/support/fault_server.py);
routing is `local`, so the device answers first and the cloud only when asked.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuiApp, open_app, run_async_in_thread, screenshot
from tests.e2e.gui_steps import ANSWER_TIMEOUT_MS, ask
from tests.support.fault_server import CLOUD_TEXT, FaultServer

QUESTION = "Hello there"
KEY_ENV = "E2E_CLOUD_KEY"


@contextmanager
def loopback_cloud() -> Iterator[FaultServer]:
    """A fake cloud answering every request well, served from a thread of its own."""
    started: Future[tuple[FaultServer, asyncio.AbstractEventLoop, asyncio.Event]] = Future()

    async def serve() -> None:
        stop = asyncio.Event()
        async with FaultServer(["ok"]) as server:
            started.set_result((server, asyncio.get_running_loop(), stop))
            await stop.wait()

    done = run_async_in_thread(serve)
    server, loop, stop = started.result(timeout=20)
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(stop.set)
        done.result(timeout=20)


def cloud_settings(server: FaultServer) -> dict[str, str]:
    """The GUI's environment: `local` routing and one cloud endpoint, the fake."""
    endpoint = {
        "name": "claude",
        "kind": "cloud",
        "api": "anthropic",
        "model": "claude-haiku-4-5",
        "base_url": server.url,
        "api_key_env": KEY_ENV,
    }
    return {
        "TANDEM_ROUTING__POLICY": "local",
        # The tiny test model's answers are random characters, which the strict name rule
        # and NER would keep from the cloud (with the answer in the history it is shown).
        "TANDEM_PRIVACY__NAMES": "standard",
        "TANDEM_PRIVACY__NER": "false",
        "TANDEM_ENDPOINTS": json.dumps([endpoint]),
        KEY_ENV: "sk-ant-api03-e2e-feedback-test-key-00000000000000",
    }


def test_a_rating_and_a_cloud_re_answer_show_on_the_dashboard(
    page: Page, start_gui: Callable[..., GuiApp]
) -> None:
    with loopback_cloud() as cloud:
        app = start_gui(env=cloud_settings(cloud))
        open_app(page, app.url)
        ask(page, QUESTION, 0)
        assert cloud.requests == 0  # the device answered

        page.get_by_role("button", name="Bad answer").click()
        rated_bad = page.get_by_role("button", name="Rated bad: press to take it back")
        expect(rated_bad).to_be_visible()

        page.get_by_role("button", name="Ask the cloud").click()
        # A pattern may still find something to redact in the first answer's random text.
        again = page.get_by_role("group", name=re.compile(r"^Tandem (redacted → )?cloud "))
        expect(again).to_have_accessible_name(
            re.compile(r"The cloud's answer to the same question"), timeout=ANSWER_TIMEOUT_MS
        )
        expect(again).to_have_accessible_name(re.compile(CLOUD_TEXT))
        assert cloud.requests == 1 and QUESTION.encode() in cloud.bodies[0]
        page.get_by_role("button", name="Good answer").last.click()
        expect(page.get_by_role("button", name="Rated good: press to take it back")).to_be_visible()
        screenshot(page, "gui_feedback_cloud_re_answer")

        page.get_by_role("button", name="Dashboard").first.click()
        expect(page.get_by_text("Learned from your ratings")).to_be_visible()
        expect(
            page.get_by_text("2 ratings: this device 0 good, 1 bad · cloud 1 good, 0 bad")
        ).to_be_visible()
        expect(
            page.get_by_text("1 question answered on both tiers: you preferred the cloud in 1")
        ).to_be_visible()
        screenshot(page, "gui_feedback_dashboard")

        # Another tab reopens the conversation: the ratings are shown as they were left.
        tab = page.context.new_page()
        open_app(tab, app.url)
        expect(tab.get_by_role("button", name="Rated bad: press to take it back")).to_be_visible()
        expect(tab.get_by_role("button", name="Rated good: press to take it back")).to_be_visible()
        headed = re.compile(r"^Tandem (redacted → )?cloud The cloud's answer to the same question")
        expect(tab.get_by_role("group", name=headed)).to_be_visible()
        expect(tab.get_by_role("button", name="Ask the cloud")).to_have_count(0)
