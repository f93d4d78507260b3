"""The app's own MCP server: Tandem's servers over streamable HTTP on 127.0.0.1, from the GUI.

While the app runs, MCP clients (Claude Desktop, Claude Code, MCP Inspector)
can reach this device's camera, sensors, assistant and (with shared folders)
files at `url`, sending `token` as a bearer token. It reuses
mcp_servers/http_serve.py, so the token, Host/Origin checks and request-size
limit are those of `tandem mcp serve --transport http`. The camera is the app's
own (see app/gui/services/camera.py), and every capture, file write and `ask` tool call is
put to the user through the consent broker (app/gui/services/consent.py).

The service also lends the chat's own tools (the runtime's `devices`) the same
sensors and camera: the chat reads the phone's battery when the page is on a
phone, and its captures ask the user in the same dialog, as "Tandem's assistant".

One service per runtime (`AppMcpService.for_runtime`); it runs on the GUI's
event loop, so consent dialogs and camera calls need no thread hand-offs.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import TYPE_CHECKING, ClassVar

import uvicorn

from app.gui.services.consent import ConsentBroker, ConsentRequest
from app.loop_server import QuietServer, one_per_runtime, serve_in_task, stop_serving, until_started
from mcp_servers.camera import (
    CameraBackend,
    CameraConfig,
    CameraError,
    CaptureRequest,
)
from mcp_servers.current_devices import CurrentCamera, CurrentSensors
from mcp_servers.files import WriteRequest
from mcp_servers.http_serve import MCP_PATH, STOP_CLIENTS_S, http_app, load_or_create_token
from mcp_servers.sensors import SensorsBackend
from mcp_servers.serve import ServeOptions
from router import Runtime, TandemError
from router.mcp.chat_host import build_chat_host
from router.mcp.host import ToolRequest
from router.runtime.assistant import AssistantService

if TYPE_CHECKING:
    import flet as ft

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
"""Where `start(None)` listens: the port `tandem mcp serve` and its config snippet use."""


class _AppAssistant(AssistantService):
    """The assistant tools answered by the app's runtime: no second model in memory."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self._app_runtime = runtime

    async def runtime(self) -> Runtime:
        return self._app_runtime


class AppMcpService:
    """Runs Tandem's MCP servers inside the app: start, stop, address and token."""

    _by_runtime: ClassVar[dict[int, AppMcpService]] = {}

    def __init__(self, runtime: Runtime, *, broker: ConsentBroker | None = None) -> None:
        self.runtime = runtime
        mcp = runtime.settings.mcp
        self.broker = broker or ConsentBroker(timeout_s=mcp.confirm_timeout_s, scope=mcp.consent)
        """Where capture, write and tool-call consent requests go (the pages' dialogs)."""
        self.camera_backend: CameraBackend | None = None
        """The app's cameras (set by services.camera.attach_camera); None: no page yet."""
        self.sensors_backend: SensorsBackend | None = None
        """The app client's sensors (set by services.sensors.attach_sensors); None: the host's."""
        self.launch_port: int | None = None
        """Set by `--mcp-port`: start on this port when the first page opens."""
        self.last_error: str | None = None
        """Why the last `start` failed, for the MCP view."""
        self._server: QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._port: int | None = None
        self._lend_devices_to_chat()
        self._wire_tool_consent()

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> AppMcpService:
        """The app's one service for `runtime` (created on first use)."""
        return one_per_runtime(cls._by_runtime, runtime, cls)

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._task is not None and not self._task.done()

    @property
    def url(self) -> str | None:
        """The endpoint clients connect to (`http://127.0.0.1:PORT/mcp`), None when stopped."""
        return f"http://{HOST}:{self._port}{MCP_PATH}" if self.running else None

    @property
    def token(self) -> str:
        """The bearer token clients must send (the same as `tandem mcp token`)."""
        return load_or_create_token(self.runtime.paths)

    @property
    def servers(self) -> tuple[str, ...]:
        """The servers it exposes: camera, sensors, assistant, and files with shared folders."""
        names = ("camera", "sensors", "assistant")
        return ("files", *names) if self.runtime.settings.mcp.roots else names

    def client_config(self) -> str:
        """JSON for an MCP client's config (URL plus the Authorization header)."""
        entry = {"type": "http", "url": self.url, "headers": {"Authorization": "Bearer <token>"}}
        return json.dumps({"mcpServers": {"tandem": entry}}, indent=2)

    async def start(self, port: int | None = None) -> None:
        """Serve on 127.0.0.1:`port` (default 8765; 0 picks a free port) until `stop`.

        Raises `TandemError` (also kept in `last_error`) when the port is taken.
        Starting a running service on another port restarts it there.
        """
        wanted = DEFAULT_PORT if port is None else port
        if self.running:
            if wanted in (0, self._port):
                return
            await self.stop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            # Bound here, not by uvicorn: its bind failure exits the process.
            sock.bind((HOST, wanted))
            sock.listen(2048)  # a client that connects before uvicorn is up waits
        except OSError as exc:
            sock.close()
            self.last_error = f"port {wanted} on {HOST} is not free ({exc.strerror})"
            raise TandemError(
                self.last_error, "choose another port, or stop what uses it"
            ) from None
        bound: int = sock.getsockname()[1]
        app = http_app(self._options(), token=self.token, host=HOST, port=bound)
        config = uvicorn.Config(
            app,
            log_config=None,  # its records go to the log file with the rest (app/logs.py)
            log_level="warning",
            lifespan="on",
            # A client's open event stream must not hold the app's stop (app/shutdown.py).
            timeout_graceful_shutdown=STOP_CLIENTS_S,
        )
        self._port = bound
        self.last_error = None
        self._server, self._task = serve_in_task(config, sock)
        await until_started(self._server, self._task)
        if self._task.done():
            self.last_error = f"the MCP server stopped at once: {self._task.exception()}"
            raise TandemError(self.last_error, "see the app's log")

    async def stop(self) -> None:
        """Stop serving (open client sessions are closed); safe when not running."""
        server, task = self._server, self._task
        self._server = self._task = None
        if server is not None and task is not None:
            await stop_serving(server, task)

    def page_active(self, page: ft.Page) -> None:
        """`page`'s user just sent a chat message: its camera and sensors answer from now on.

        The pages share one runtime, so the chat's device tools read "the app's" sensors;
        the page that asked last is the one whose phone (or browser) they should read,
        not whichever page opened last. Two pages asking at the same moment: the later wins.
        """
        for backend in (self.camera_backend, self.sensors_backend):
            prefer = getattr(backend, "prefer", None)  # the host's own backends have none
            if prefer is not None:
                prefer(page)

    async def page_attached(self) -> None:
        """A page opened: start on `launch_port` if the app was launched with `--mcp-port`."""
        if self.launch_port is not None and not self.running:
            port, self.launch_port = self.launch_port, None
            try:
                await self.start(port)
            except TandemError as exc:
                print(f"error: the MCP server did not start: {exc}", flush=True)
            else:
                print(f"Tandem's MCP server is at {self.url}", flush=True)

    def _options(self) -> ServeOptions:
        settings = self.runtime.settings.mcp
        camera = CameraConfig(
            backend=self._current_camera(),
            consent=self._consent_to_capture,
            consent_timeout_s=self.broker.timeout_s,
        )
        return ServeOptions(
            servers=self.servers,
            roots=tuple(settings.roots),
            write_enabled=settings.files_write,
            confirm=self._consent_to_write,
            location_enabled=settings.location_enabled,
            camera=camera,
            sensors=CurrentSensors(lambda: self.sensors_backend),
            assistant=_AppAssistant(self.runtime),
        )

    async def _consent_to_capture(self, request: CaptureRequest) -> bool:
        what = f"camera {request.camera}" if request.camera else "your camera"
        return await self.broker.ask(
            ConsentRequest("camera", request.client, f"take a photo with {what}")
        )

    async def _consent_to_write(self, request: WriteRequest) -> bool:
        return await self.broker.ask(write_consent(request, "An MCP client"))

    async def _consent_to_tool(self, request: ToolRequest) -> bool:
        return await self.broker.ask(tool_consent(request))

    def _lend_devices_to_chat(self) -> None:
        """The chat's tools use the app's sensors and camera, each capture asked in the dialog."""
        runtime, mcp = self.runtime, self.runtime.settings.mcp
        devices = runtime.devices
        had_camera = devices.camera is not None
        devices.sensors = CurrentSensors(lambda: self.sensors_backend)
        devices.camera = self._current_camera()
        devices.camera_consent = self._consent_to_capture
        host = runtime.pipeline.tools
        if host is not None and not host.started and not had_camera and "camera" in mcp.builtin:
            # Built before the app lent a camera, so without the camera server; nothing
            # has connected yet, so the same build over the same devices replaces it.
            runtime.pipeline.tools = build_chat_host(mcp, runtime.pipeline.egress_policy, devices)

    def _current_camera(self) -> CurrentCamera:
        """The camera of the page open now; an error while no window is open."""

        def no_window() -> CameraError:
            return CameraError("the Tandem app has no open window", "open the app and try again")

        return CurrentCamera(lambda: self.camera_backend, no_window, fallback_source="app")

    def _wire_tool_consent(self) -> None:
        """Tools set to `ask` in the chat's tool host are put to the user by the broker.

        Kept on the runtime too, so a host built later (MCP switched on in the
        app, a server added) asks the same way.
        """
        if self.runtime.tool_confirm is None:
            self.runtime.tool_confirm = self._consent_to_tool
        host = self.runtime.pipeline.tools
        if host is not None and host.confirm is None:
            host.confirm = self._consent_to_tool


def tool_consent(request: ToolRequest) -> ConsentRequest:
    """The dialog's question for a tool call the settings mark `ask`, or one that followed
    untrusted text: that one says why it is asked, and is asked every time (`once`)."""
    args = json.dumps(dict(request.arguments), ensure_ascii=False)[:400]
    where = "on another machine" if request.off_device else "on this device"
    return ConsentRequest(
        "tool",
        "The assistant",
        f"run {request.tool} from the {request.server} server ({where})",
        f"Arguments: {args}" + (f"\nAsked because {request.reason}." if request.reason else ""),
        once=request.reason is not None,
    )


def write_consent(request: WriteRequest, client: str) -> ConsentRequest:
    """The dialog's question for a files write, append or move."""
    target = f" to {request.destination}" if request.destination else ""
    size = f" ({request.size} bytes)" if request.size else ""
    return ConsentRequest(
        "files_write", client, f"{request.op} {request.path}{target}{size} in your shared folders"
    )
