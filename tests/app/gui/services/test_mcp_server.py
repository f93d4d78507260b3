"""The app's MCP service: HTTP on loopback with the token, consent through the broker."""

from __future__ import annotations

import base64
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flet as ft
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, ImageContent, Implementation

from app.gui.services.camera import AppCameras
from app.gui.services.consent import ConsentAnswer, ConsentBroker, ConsentRequest
from app.gui.services.mcp_server import AppMcpService
from mcp_servers.camera import JPEG_MAGIC
from router.endpoints.fake import FakeEndpoint
from router.errors import TandemError
from router.paths import TandemPaths
from router.types import ToolCall
from tests.app.conftest import RuntimeFactory
from tests.mcp_servers.test_camera import FakeCamera


class AutoAnswer:
    """A dialog that answers every request at once, recording the questions."""

    def __init__(self, broker: ConsentBroker, answer: ConsentAnswer) -> None:
        self.broker, self.answer = broker, answer
        self.questions: list[ConsentRequest] = []
        broker.subscribe(self.refresh)

    def refresh(self) -> None:
        for request in self.broker.pending:
            if request not in self.questions:
                self.questions.append(request)
                self.broker.answer(request.id, self.answer)


async def call(url: str, token: str | None, tool: str, args: dict[str, Any]) -> CallToolResult:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(
            streamable_http_client(url, http_client=http),
            client_info=Implementation(name="test-client", version="3"),
        ) as client,
    ):
        return await client.call_tool(tool, args)


async def test_start_serves_the_camera_behind_the_token_and_the_dialog(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService(runtime)
        camera = FakeCamera()
        service.camera_backend = camera
        dialog = AutoAnswer(service.broker, "allow")
        assert not service.running and service.url is None
        await service.start(0)
        try:
            assert service.running
            url = service.url
            assert url is not None and url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
            assert service.servers == ("camera", "sensors", "assistant")

            result = await call(url, service.token, "camera_capture", {})
            assert not result.is_error
            image = next(b for b in result.content if isinstance(b, ImageContent))
            assert base64.b64decode(image.data).startswith(JPEG_MAGIC)
            assert [q.question for q in dialog.questions] == [
                "test-client 3 wants to take a photo with your camera."
            ]

            dialog.answer = "deny"
            refused = await call(url, service.token, "camera_capture", {})
            assert refused.is_error and len(camera.captured) == 1

            async with httpx2.AsyncClient(timeout=10) as http:
                assert (await http.post(url, json={})).status_code == 401
        finally:
            await service.stop()
        assert not service.running and service.url is None
        await service.stop()  # stopping twice is harmless


async def test_without_a_dialog_captures_are_refused(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService(runtime)
        camera = FakeCamera()
        service.camera_backend = camera
        await service.start(0)
        try:
            assert service.url is not None
            result = await call(service.url, service.token, "camera_capture", {})
        finally:
            await service.stop()
        assert result.is_error and camera.captured == []


async def test_a_taken_port_is_a_clear_error(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService(runtime)
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(TandemError, match=f"port {port} on 127.0.0.1 is not free"):
                await service.start(port)
        assert not service.running
        assert service.last_error is not None and str(port) in service.last_error


async def test_one_service_per_runtime(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService.for_runtime(runtime)
        assert AppMcpService.for_runtime(runtime) is service
        assert service.token == service.token and len(service.token) >= 32


async def test_chat_tools_set_to_ask_and_file_writes_go_to_the_dialog(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    tandem_home.config_file.write_text(
        f"[mcp]\nroots = [{str(shared)!r}]\nfiles_write = true\n"
        '[mcp.permissions]\n"sensors__uptime" = "ask"\n'
    )
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService(runtime)
        dialog = AutoAnswer(service.broker, "deny")
        host = runtime.pipeline.tools
        assert host is not None
        await host.ensure_started()
        write = ToolCall(
            id="w1", name="files__write", arguments={"path": "shared/a.txt", "text": "hi"}
        )
        uptime = ToolCall(id="u1", name="sensors__uptime", arguments={})

        assert (await host.call(write)).is_error
        assert (await host.call(uptime)).is_error
        assert not (shared / "a.txt").exists()

        dialog.answer = "allow"
        written = await host.call(write)
        assert not written.is_error, written.content
        assert (shared / "a.txt").read_text() == "hi"
        assert not (await host.call(uptime)).is_error

        kinds = [(q.kind, q.action) for q in dialog.questions]
        assert kinds[0][0] == "tool" and "files_write" in kinds[0][1]
        assert kinds[1][0] == "tool" and "uptime" in kinds[1][1]
        await host.aclose()


async def test_without_a_browser_or_phone_page_the_host_camera_is_used() -> None:
    host_camera = FakeCamera()
    cameras = AppCameras(fallback=host_camera)
    assert cameras.source == "app"
    assert await cameras.capture(None) == host_camera.picture  # no page at all
    desktop = SimpleNamespace(web=False, platform=ft.PagePlatform.LINUX)
    cameras.add_page(desktop)  # type: ignore[arg-type]
    assert [c.id for c in await cameras.list_cameras()] == ["front-1", "usb-2"]
    assert await cameras.capture("usb-2") == host_camera.picture
    assert host_camera.captured == [None, "usb-2"]


async def test_the_consent_scope_comes_from_the_settings(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_MCP__CONSENT", "per_session")
    async with fake_runtime(FakeEndpoint()) as runtime:
        broker = AppMcpService(runtime).broker
        assert broker.scope == "per_session" and broker.offers_session


async def test_a_call_after_untrusted_text_says_why_and_no_session_grant_covers_it(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_MCP__CONSENT", "per_session")
    tandem_home.config_file.write_text('[mcp.permissions]\n"sensors__uptime" = "ask"\n')
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService(runtime)
        dialog = AutoAnswer(service.broker, "allow_session")
        host = runtime.pipeline.tools
        assert host is not None
        await host.ensure_started()
        uptime = ToolCall(id="u1", name="sensors__uptime", arguments={})
        assert not (await host.call(uptime)).is_error  # allowed for this session
        assert not (await host.call(uptime)).is_error
        assert len(dialog.questions) == 1  # the grant answered the second call
        # After text from a file, the same call is asked about again, each time, saying why.
        for _ in range(2):
            assert not (await host.call(uptime, followed="report.pdf")).is_error
        plain, *gated = dialog.questions
        assert len(gated) == 2
        for question in gated:
            assert question.detail.endswith(
                "\nAsked because this request followed text from report.pdf."
            )
            assert question.once
        assert not plain.once and "Asked because" not in plain.detail
        await host.aclose()


async def test_the_camera_of_the_page_that_sent_last_is_used() -> None:
    cameras = AppCameras(fallback=FakeCamera())
    phone = SimpleNamespace(web=True, platform=ft.PagePlatform.ANDROID, name="phone")
    desktop = SimpleNamespace(web=True, platform=ft.PagePlatform.LINUX, name="desktop")
    cameras.add_page(phone)  # type: ignore[arg-type]
    cameras.add_page(desktop)  # type: ignore[arg-type]

    cameras.prefer(phone)  # type: ignore[arg-type]

    assert cameras._page() is phone  # the page a capture would use
    cameras.prefer(SimpleNamespace())  # type: ignore[arg-type]  # a page it never had: no change
    assert cameras._page() is phone
    cameras.prefer(desktop)  # type: ignore[arg-type]
    assert cameras._page() is desktop
