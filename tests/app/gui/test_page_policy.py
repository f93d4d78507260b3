"""The app's HTML pages carry the page policy, behind both guards; other responses do not."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.gui.page_policy import APP_PAGE_POLICY
from app.gui.web_guard import WebGuard

PORT = 8550
SECRET = "launch-secret-" + "y" * 30


async def _index(_request: object) -> HTMLResponse:
    return HTMLResponse("<html><script src='https://cdn.example/x.js'></script></html>")


async def _script(_request: object) -> PlainTextResponse:
    return PlainTextResponse("console.log(1)", media_type="text/javascript")


def test_the_app_page_forbids_other_origins_and_its_scripts_do_not_carry_it() -> None:
    app = Starlette(routes=[Route("/", _index), Route("/main.js", _script)])
    client = TestClient(
        WebGuard(app, PORT, SECRET),
        f"http://127.0.0.1:{PORT}",
        cookies={f"tandem_web_{PORT}": SECRET},
    )

    page = client.get("/")
    script = client.get("/main.js")

    assert page.headers["content-security-policy"] == APP_PAGE_POLICY
    assert "default-src 'self'" in APP_PAGE_POLICY and "https:" not in APP_PAGE_POLICY
    assert "content-security-policy" not in script.headers
