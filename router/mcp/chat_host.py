"""The chat's own MCP tool host: Tandem's built-in servers in-process, plus the user's.

A front end with device access of its own (the app, whose client may be a
phone) sets `DeviceBackends`, so the chat's tools read that device's sensors
and take pictures with its camera instead of the host's. The runtime keeps the
one `DeviceBackends` object, and the servers consult it on every call
(`mcp_servers.current_devices`), so a front end may fill it in after the runtime
is built, and a host rebuilt after a settings change uses the same devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from router.mcp.settings import McpSettings
from router.privacy.guard import EgressPolicy

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from mcp_servers.camera import CameraBackend, CameraError, CaptureConsent, CaptureRequest
    from mcp_servers.sensors import SensorsBackend
    from router.mcp.host import ToolHost

ASSISTANT = "Tandem's assistant"
"""Who asks for a capture in the consent dialog when the chat's model calls the camera."""
CAPTURE_TOOL = "camera__capture"
"""The capture tool as the chat's models (and the host's dialog) name it."""
_CONSENT_MARGIN_S = 5.0  # the capture itself must still fit in the host's call timeout


@dataclass
class DeviceBackends:
    """Where the chat's built-in device tools read from; read at each call, not at build."""

    sensors: SensorsBackend | None = None
    """The device's sensors; None: this host's own (psutil)."""
    camera: CameraBackend | None = None
    """The device's camera; None when the host is built: the chat gets no camera tools."""
    camera_consent: CaptureConsent | None = None
    """Asks the user before each capture (the app's dialog); None: every capture is refused."""


class ChatCaptureConsent:
    """The camera server's consent callback: `devices.camera_consent`, asked as the assistant.

    No callback means no: the chat has no MCP client to elicit from, and the
    camera never captures without the user's go-ahead.

    The host may already have asked about the same capture in its own dialog (a
    capture set to `ask`, or one that followed untrusted text, whose dialog says
    why): that yes counts, so the user is asked once (as router/mcp/write_confirm.py
    does for file changes).
    """

    def __init__(self, devices: DeviceBackends, host: ToolHost | None = None) -> None:
        self._devices = devices
        self.host = host
        """The host the camera server runs in (set once built)."""

    async def __call__(self, request: CaptureRequest) -> bool:
        """True only when the user allowed this one capture."""
        from mcp_servers.camera import CaptureRequest

        if self.host is not None and any(
            (args.get("camera") or None) == request.camera
            for args in self.host.allowed_running(CAPTURE_TOOL)
        ):
            return True  # the user just allowed this very capture in the host's dialog
        consent = self._devices.camera_consent
        if consent is None:
            return False
        # The in-process MCP client's own name means nothing to the user.
        return bool(await consent(CaptureRequest(client=ASSISTANT, camera=request.camera)))


def build_chat_host(
    settings: McpSettings, egress: EgressPolicy, devices: DeviceBackends | None = None
) -> ToolHost:
    """The MCP host over Tandem's own servers (in-process) and the user's; started lazily.

    There is no confirmation dialog here: tools set to `ask`, and files writes, are
    refused until a front end that can ask (the GUI) sets `host.confirm`; camera
    captures are refused unless `devices.camera_consent` says yes. The `camera`
    server is offered only when `devices.camera` is set (and `camera` is in
    `builtin`). The `assistant` server is not offered, since its `ask_local` would
    call back into this pipeline.
    """
    # The servers import the pipeline's building blocks, and the host the MCP SDK;
    # imported here so that the runtime imports without them (the phone has no SDK).
    from mcp_servers.current_devices import CurrentSensors
    from mcp_servers.files import FilesConfig, build_files_server
    from mcp_servers.sensors import build_sensors_server
    from router.mcp.build import build_host
    from router.mcp.write_confirm import HostWriteConfirm

    devices = devices or DeviceBackends()
    confirm_writes = HostWriteConfirm()
    builtin: dict[str, MCPServer[Any]] = {
        "sensors": build_sensors_server(
            location_enabled=settings.location_enabled,
            backend=CurrentSensors(lambda: devices.sensors),
        )
    }
    if settings.roots:
        config = FilesConfig(
            roots=tuple(settings.roots), write_enabled=settings.files_write, confirm=confirm_writes
        )
        builtin["files"] = build_files_server(config)
    capture_consent = ChatCaptureConsent(devices)
    if "camera" in settings.builtin and devices.camera is not None:
        builtin["camera"] = _camera_server(settings, devices, capture_consent)
    # files needs roots and camera a device camera: without them they are left out quietly.
    wanted = [n for n in settings.builtin if n in builtin or n not in ("files", "camera")]
    host = build_host(
        settings.model_copy(update={"builtin": wanted}), builtin, egress_policy=egress
    )
    confirm_writes.host = capture_consent.host = host
    return host


def _camera_server(
    settings: McpSettings, devices: DeviceBackends, consent: ChatCaptureConsent
) -> MCPServer[Any]:
    from mcp_servers.camera import CameraConfig, build_camera_server
    from mcp_servers.current_devices import CurrentCamera

    # The dialog's wait runs inside the host's call timeout; give up on it first, so a
    # user who does not answer reads as a refusal rather than a timed-out tool.
    wait = min(settings.confirm_timeout_s, settings.call_timeout_s - _CONSENT_MARGIN_S)
    config = CameraConfig(
        backend=CurrentCamera(lambda: devices.camera, _no_camera, fallback_source="none"),
        consent=consent,
        elicit=False,
        consent_timeout_s=max(wait, 1.0),
    )
    return build_camera_server(config)


def _no_camera() -> CameraError:
    from mcp_servers.camera import CameraError

    return CameraError(
        "this device has no camera the assistant may use",
        "use the Tandem app, which lends the assistant its camera",
    )
