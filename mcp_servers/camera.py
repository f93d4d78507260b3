"""The `camera` MCP server: list the device's cameras and take a still photo.

Tools:

- `camera_list()` -> `CameraList`
- `camera_capture(camera="")` -> a JPEG as MCP image content, after the user allows it

Where the pictures come from is a `CameraBackend`: the Tandem app's own client
(`flet-camera`, see app/gui/camera_bridge.py) while the app runs, else OpenCV on
the host (`mcp_servers.camera_opencv`). Every capture needs the user's consent:
the app's dialog when there is one (`CameraConfig.consent`), else MCP elicitation
when the client supports it, else the capture is refused.
"""

# No `from __future__ import annotations`: the capture tool's `Annotated[...,
# Resolve(...)]` parameter is read with `get_type_hints`, which cannot see a
# closure's locals in string annotations (see files.py).

import asyncio
import base64
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp_types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from router.errors import TandemError

_log = logging.getLogger(__name__)
JPEG_MAGIC = b"\xff\xd8\xff"
"""The first bytes of every JPEG file."""

Facing = Literal["front", "back", "external", "unknown"]


class CameraInfo(BaseModel):
    """One camera the device has."""

    id: str = Field(description="Pass this as `camera` to camera_capture.")
    name: str = Field(description="The camera's name as the system reports it.")
    facing: Facing = Field(default="unknown", description="Which way it points, if known.")


class CameraList(BaseModel):
    """The cameras a capture can use, and where captures come from."""

    source: str = Field(description="`app` (the Tandem app's camera) or `opencv` (the host).")
    cameras: list[CameraInfo] = Field(description="Empty when the device has no camera.")


class CameraError(TandemError):
    """No camera is available, or taking the picture failed."""


class CameraBackend(Protocol):
    """Where pictures come from: the app's client or a host library."""

    source: str
    """Short name shown to clients (`app`, `opencv`)."""

    async def list_cameras(self) -> list[CameraInfo]:
        """The cameras available now; raise `CameraError` when they cannot be listed."""
        ...

    async def capture(self, camera_id: str | None) -> bytes:
        """One encoded still (JPEG preferred) from `camera_id` (None: the default camera)."""
        ...


@dataclass(frozen=True)
class CaptureRequest:
    """A capture waiting for the user's consent, as the dialog shows it."""

    client: str
    """The MCP client that asks, e.g. `Claude Desktop 1.2` (from its initialize message)."""
    camera: str | None = None


CaptureConsent = Callable[[CaptureRequest], Awaitable[bool]]
"""Asks the user (the app's dialog); True allows this one capture."""


@dataclass(frozen=True)
class CameraConfig:
    """How the camera server behaves."""

    backend: CameraBackend
    consent: CaptureConsent | None = None
    """The app's consent dialog; when None, MCP elicitation asks the client's user."""
    elicit: bool = True
    """Whether to ask through MCP elicitation when there is no app dialog."""
    consent_timeout_s: float = 120.0
    """Nobody answering the app's dialog within this time means no."""
    max_side: int = 1920
    """Larger pictures are scaled down to this many pixels on their longer side."""


class CaptureApproval(BaseModel):
    """The consent a capture needs (also the elicitation form clients show)."""

    approve: bool = Field(description="Allow this client to take one photo with your camera now?")


def register_camera(server: MCPServer[Any], config: CameraConfig) -> list[str]:
    """Add the camera tools to `server`; return their names."""
    backend = config.backend

    async def camera_list() -> CameraList:
        """List the cameras this device has (taking a photo is a separate, confirmed step)."""
        try:
            cameras = await backend.list_cameras()
        except CameraError as exc:
            raise ToolError(str(exc)) from None
        return CameraList(source=backend.source, cameras=cameras)

    async def approve_capture(ctx: Context, camera: str = "") -> CaptureApproval | Elicit[Any]:
        request = CaptureRequest(client=client_name(ctx), camera=camera or None)
        if config.consent is not None:
            return CaptureApproval(approve=await _ask_app(config, request))
        if config.elicit and _can_elicit(ctx):
            what = f" with camera {camera}" if camera else ""
            return Elicit(
                f"{request.client} wants to take a photo{what}. Allow it?", CaptureApproval
            )
        return CaptureApproval(approve=False)

    async def camera_capture(
        approval: Annotated[ElicitationResult[CaptureApproval], Resolve(approve_capture)],
        camera: str = "",
    ) -> CallToolResult:
        """Take one still photo (JPEG) after the user allows it; camera='' uses the default."""
        if not (isinstance(approval, AcceptedElicitation) and approval.data.approve):
            raise ToolError(
                "the user did not allow the camera, so no photo was taken (captures are "
                "refused when nobody answers Tandem's consent dialog)"
            )
        try:
            raw = await backend.capture(camera or None)
        except CameraError as exc:
            raise ToolError(str(exc)) from None
        jpeg, width, height = await asyncio.to_thread(as_jpeg, raw, config.max_side)
        summary = f"a {width}x{height} JPEG photo ({len(jpeg)} bytes) from the {backend.source}"
        return CallToolResult(
            content=[
                TextContent(type="text", text=summary + " camera"),
                ImageContent(
                    type="image",
                    data=base64.b64encode(jpeg).decode("ascii"),
                    mime_type="image/jpeg",
                ),
            ]
        )

    server.add_tool(
        camera_list, annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False)
    )
    server.add_tool(
        camera_capture, annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True)
    )
    return ["camera_list", "camera_capture"]


async def _ask_app(config: CameraConfig, request: CaptureRequest) -> bool:
    """The app's answer; a timeout or a failing dialog both mean no."""
    assert config.consent is not None
    try:
        async with asyncio.timeout(config.consent_timeout_s):
            return bool(await config.consent(request))
    except TimeoutError:
        return False
    except Exception:
        _log.exception("the camera consent dialog failed; refusing the capture")
        return False


def client_name(ctx: Context) -> str:
    """The asking client's name and version as it introduced itself, for the dialog."""
    params = ctx.session.client_params
    info = params.client_info if params is not None else None
    if info is None:
        return "An unnamed MCP client"
    name = (info.title or info.name or "").strip() or "An unnamed MCP client"
    return f"{name} {info.version}".strip() if info.version else name


def _can_elicit(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def as_jpeg(data: bytes, max_side: int) -> tuple[bytes, int, int]:
    """`data` re-encoded as a JPEG no larger than `max_side`, with its width and height.

    Always re-encoded, so metadata a phone camera adds (EXIF, GPS position) is
    dropped. Raises `CameraError` when the backend's bytes are not an image.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise CameraError(
            "the camera returned something that is not an image",
            "try again; if it keeps failing, choose another camera with camera_list",
        ) from exc
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue(), image.width, image.height


def build_camera_server(config: CameraConfig) -> MCPServer[Any]:
    """A standalone camera server (tests, embedding); `tandem mcp serve` combines servers."""
    server: MCPServer[Any] = MCPServer("tandem-camera", log_level="WARNING")
    register_camera(server, config)
    return server
