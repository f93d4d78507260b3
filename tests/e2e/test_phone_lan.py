"""Browser scenarios: phones on the LAN pair with `tandem --web --lan`, chat, and are refused.

One app serves the whole module over HTTPS at `tandem-test.lan:PORT` (mapped to 127.0.0.1
in Chromium); Chromium trusts exactly its certificate (lan_steps.py). The phones are
Playwright's Pixel 7 and iPhone 13 descriptors (viewport, pixel ratio, touch, user agent),
both on Chromium, with the fake camera of CHROMIUM_ARGS and an emulated location. Each
test pairs a fresh browser context with the code the app printed last.

`test_a_phone_is_not_offered_the_phones_section` states a change still to come (the app
leaving its Phones section out of pages served on the LAN): it fails until that lands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from app.lan.pages import THEME_COLOUR
from tests.e2e.conftest import CHROMIUM, screenshot
from tests.e2e.gui_steps import ANSWER_TIMEOUT_MS, ask, chat_input, type_into
from tests.e2e.lan_steps import (
    BERLIN,
    PHONE_MODELS,
    LanApp,
    device_id,
    devices,
    expect_pairing_page,
    fetch_status,
    pair_phone,
    pairing_link,
    phone_browser_args,
    phone_context_options,
    start_lan_app,
    stop_lan_app,
    websocket_outcome,
)

WRONG_CODE = "ZZZZ-ZZZZ"
WRONG_CODE_SENTENCE = "That pairing code is not the one Tandem shows"
PHOTO_CHIP = re.compile(r"^photo-\d{8}-\d{6}\.jpg · stays local$")
CAMERA_START_MS = 60_000
BOTTOM_BAR_FROM = 0.75
"""The bottom bar's tabs sit in the lowest quarter of the phone's screen."""
_LINKED_MANIFEST = """() => fetch(document.querySelector('link[rel=manifest]').href)
    .then((response) => response.json())"""
_POSITION = """() => new Promise((resolve, reject) => navigator.geolocation.getCurrentPosition(
    (p) => resolve([p.coords.latitude, p.coords.longitude]), (e) => reject(e.message)))"""


@dataclass
class Phones:
    """The browser the phones run in, and Playwright's device descriptors."""

    browser: Browser
    descriptors: dict[str, Any]


@pytest.fixture(scope="module")
def lan_app(tmp_path_factory: pytest.TempPathFactory, tiny_gguf: Path) -> Iterator[LanApp]:
    """The app, served to the LAN at tandem-test.lan, for the whole module."""
    folder = tmp_path_factory.mktemp("lan")
    app = start_lan_app(folder / "home", folder / "gui.log", tiny_gguf)
    yield app
    stop_lan_app(app)


@pytest.fixture(scope="module")
def phones(lan_app: LanApp) -> Iterator[Phones]:
    """Headless Debian Chromium for the phones (this module's own: Playwright's sync API
    allows one instance at a time, so the conftest's `browser` is not used here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=phone_browser_args(lan_app)
        )
        yield Phones(browser, dict(playwright.devices))
        browser.close()


@pytest.fixture
def new_phone(phones: Phones) -> Iterator[Callable[[str], Page]]:
    """Opens a page on a fresh phone (`new_phone("Pixel 7")`); closed after the test."""
    contexts = []

    def open_phone(model: str) -> Page:
        context = phones.browser.new_context(**phone_context_options(phones.descriptors[model]))
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def new_chat(page: Page) -> None:
    """Start a new conversation, and wait until the last one has gone from the screen: the
    phones and the desktop share this Tandem's conversations, and the app reopens the last
    one, which another test's phone may have written to."""
    page.get_by_role("button", name="New chat").click()
    expect(page.get_by_role("group", name=re.compile(r"^(You|Tandem) "))).to_have_count(0)


def _shot_name(model: str, what: str) -> str:
    return f"phone-{model.lower().replace(' ', '-')}-{what}"


@pytest.mark.parametrize("model", PHONE_MODELS)
def test_an_unpaired_phone_gets_only_the_pairing_page(
    lan_app: LanApp, new_phone: Callable[[str], Page], model: str
) -> None:
    page = new_phone(model)
    response = page.goto(lan_app.url)

    assert response is not None and response.status == 401
    assert "flutter" not in response.text().lower()
    expect_pairing_page(page, unpaired=True)
    # Nothing of the app: its files and its websocket are refused too.
    assert fetch_status(page, lan_app, "/flutter_bootstrap.js") == 401
    assert websocket_outcome(page, lan_app) == "refused"
    screenshot(page, _shot_name(model, "pairing-page"))

    page.get_by_label("Pairing code").fill(WRONG_CODE)
    page.get_by_label("Name of this phone").fill(f"{model} guesser")
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="Pair").tap()
    assert refused.value is not None and refused.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text(WRONG_CODE_SENTENCE)
    expect_pairing_page(page, unpaired=False)
    assert websocket_outcome(page, lan_app) == "refused"
    assert f"{model} guesser" not in devices(lan_app, "list")


@pytest.mark.parametrize("model", PHONE_MODELS)
def test_a_phone_pairs_by_the_qr_code_and_chats_with_the_device_model(
    lan_app: LanApp, new_phone: Callable[[str], Page], model: str
) -> None:
    page = new_phone(model)
    name = f"Anna's {model}"
    pair_phone(page, lan_app, name)

    assert page.url == lan_app.url  # the pairing form sent the phone on to the app
    # The phone-sized layout: the sections in a bar at the bottom, not in a rail.
    tab = page.get_by_role("tab", name="Dashboard")
    expect(tab).to_be_visible()
    box, viewport = tab.bounding_box(), page.viewport_size
    assert box is not None and viewport is not None
    assert box["y"] > viewport["height"] * BOTTOM_BAR_FROM
    assert name in devices(lan_app, "list")
    assert websocket_outcome(page, lan_app) == "open"
    # Installed from here, the home-screen app is Tandem: Flet's page links our manifest.
    manifest = page.evaluate(_LINKED_MANIFEST)
    assert (manifest["name"], manifest["theme_color"]) == ("Tandem", THEME_COLOUR)
    # iOS names the home-screen icon after the page's apple-mobile-web-app-title.
    expect(page).to_have_title("Tandem")
    apple_title = page.locator('meta[name="apple-mobile-web-app-title"]')
    expect(apple_title).to_have_attribute("content", "Tandem")

    new_chat(page)
    answers = ask(page, "Hello from my phone")
    # The question's own bubble ("You" and the words; the field's text is not page text).
    expect(page.get_by_text("You Hello from my phone", exact=True)).to_be_visible()
    # The badge says where the answer ran: on this Tandem's own device model.
    expect(answers).to_have_accessible_name(re.compile(r"^Tandem device "))
    screenshot(page, _shot_name(model, "chat"))


def test_the_pairing_page_shows_the_qr_codes_fingerprint_and_prefills_its_code(
    lan_app: LanApp, new_phone: Callable[[str], Page]
) -> None:
    page = new_phone("Pixel 7")
    link = pairing_link(lan_app)
    code = re.search(r"[?&]code=([0-9A-Z-]+)", link)
    assert code and link.startswith(f"{lan_app.url}pair?")

    page.goto(link)

    expect(page.get_by_label("Pairing code")).to_have_value(code.group(1))
    # The fingerprint rides after '#' (never sent): the page shows it for the user to compare.
    expect(page.locator("#fp")).to_have_text(lan_app.fingerprint())
    assert page.evaluate("() => window.isSecureContext") is True


def test_a_photo_from_the_phones_camera_is_attached_and_stays_local(
    lan_app: LanApp, new_phone: Callable[[str], Page]
) -> None:
    page = new_phone("Pixel 7")
    pair_phone(page, lan_app, "Camera phone")
    # Over HTTPS the page is secure, so the browser offers it the camera and the location.
    assert page.evaluate("() => window.isSecureContext && Boolean(navigator.mediaDevices)")
    latitude, longitude = page.evaluate(_POSITION)
    assert (latitude, longitude) == pytest.approx((BERLIN["latitude"], BERLIN["longitude"]))
    new_chat(page)
    type_into(page, chat_input(page), "What is in this photo?")

    page.get_by_role("button", name="Take a photo").click()
    take = page.get_by_role("button", name="Take photo", exact=True)
    expect(take).to_be_enabled(timeout=CAMERA_START_MS)
    take.click()

    # The default `images` rule keeps a photo on this Tandem: its chip says so.
    expect(page.get_by_label(PHOTO_CHIP)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(take).to_have_count(0)
    screenshot(page, _shot_name("Pixel 7", "camera-chip"))
    page.get_by_role("button", name="Send").click()
    answer = page.get_by_role("group", name=re.compile(r"^Tandem device "))
    expect(answer).to_have_accessible_name(re.compile("kept local: has an image attached"),
                                           timeout=ANSWER_TIMEOUT_MS)  # fmt: skip
    screenshot(page, _shot_name("Pixel 7", "camera-answered"))


def test_a_revoked_phone_gets_the_pairing_page_again(
    lan_app: LanApp, new_phone: Callable[[str], Page]
) -> None:
    page = new_phone("iPhone 13")
    name = "Lost iPhone"
    pair_phone(page, lan_app, name)
    assert websocket_outcome(page, lan_app) == "open"

    revoked = device_id(lan_app, name)
    assert "Revoked" in devices(lan_app, "revoke", revoked)

    response = page.reload()
    assert response is not None and response.status == 401
    expect_pairing_page(page, unpaired=True)
    assert websocket_outcome(page, lan_app) == "refused"
    assert fetch_status(page, lan_app, "/flutter_bootstrap.js") == 401
    assert "(revoked)" in next(
        line for line in devices(lan_app, "list").splitlines() if line.startswith(revoked)
    )
    screenshot(page, _shot_name("iPhone 13", "revoked"))


def test_the_view_is_installable_to_the_home_screen(
    lan_app: LanApp, new_phone: Callable[[str], Page]
) -> None:
    page = new_phone("iPhone 13")
    page.goto(f"{lan_app.url}pair")
    expect(page.locator("link[rel=manifest]")).to_have_attribute("href", "/manifest.webmanifest")
    expect(page.locator("meta[name=theme-color]")).to_have_attribute("content", THEME_COLOUR)

    response = page.goto(f"{lan_app.url}manifest.webmanifest")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["name"], manifest["display"], manifest["start_url"]) == (
        "Tandem", "standalone", "/",
    )  # fmt: skip
    assert manifest["theme_color"] == THEME_COLOUR
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        icon = page.goto(f"{lan_app.url}{src.lstrip('/')}")
        assert icon is not None and icon.status == 200
        assert icon.headers["content-type"] == "image/png"
        png = icon.body()
        width, height = int.from_bytes(png[16:20]), int.from_bytes(png[20:24])  # IHDR
        assert f"{width}x{height}" == size


def test_a_phone_is_not_offered_the_phones_section(
    lan_app: LanApp, new_phone: Callable[[str], Page]
) -> None:
    """Pairing phones is the desktop's business: a phone's app has no Phones section.

    Fails until the app leaves that section out of pages served on the LAN."""
    page = new_phone("Pixel 7")
    pair_phone(page, lan_app, "Curious phone")

    expect(page.get_by_role("tab", name="Chat")).to_be_visible()
    expect(page.get_by_role("tab", name="Phones")).to_have_count(0)
