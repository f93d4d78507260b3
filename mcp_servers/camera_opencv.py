"""The camera backend for a headless desktop: OpenCV (`opencv-python-headless`) on the host.

Used by `tandem mcp serve` when the Tandem app is not the one serving: the
pictures come from the machine's own video devices. OpenCV is imported on first
use, so listing the server's tools costs nothing on a machine without a camera.
"""

from __future__ import annotations

import asyncio
import glob
import re
import sys
from collections.abc import Sequence
from typing import Any

from mcp_servers.camera import CameraError, CameraInfo

WARMUP_FRAMES = 5
"""Frames read and dropped first: many webcams send dark frames while exposure settles."""

NO_CAMERA_HINT = (
    "connect a camera to this computer, or run the Tandem app (`tandem`) and use its "
    "MCP server (MCP settings), so photos come from the app's own camera"
)


class OpenCvBackend:
    """Captures from the host's video devices through OpenCV."""

    source = "opencv"

    def __init__(self, indexes: Sequence[int] | None = None, max_index: int = 4) -> None:
        """Probe `indexes` (default: /dev/video* on Linux, else 0..max_index-1)."""
        self._indexes = tuple(indexes) if indexes is not None else None
        self._max_index = max_index

    async def list_cameras(self) -> list[CameraInfo]:
        """The video devices OpenCV can open right now."""
        return await asyncio.to_thread(self._probe)

    async def capture(self, camera_id: str | None) -> bytes:
        """One JPEG from `camera_id` (an index from `list_cameras`; None: the first one)."""
        return await asyncio.to_thread(self._grab, camera_id)

    def _candidates(self) -> tuple[int, ...]:
        if self._indexes is not None:
            return self._indexes
        if sys.platform.startswith("linux"):
            # Probing indexes that have no device only fills the log with warnings.
            found = (re.fullmatch(r"/dev/video(\d+)", p) for p in glob.glob("/dev/video*"))
            return tuple(sorted(int(m.group(1)) for m in found if m))
        return tuple(range(self._max_index))

    def _probe(self) -> list[CameraInfo]:
        cameras = []
        for index in self._candidates():
            capture = _open(index)
            try:
                if capture.isOpened():
                    cameras.append(CameraInfo(id=str(index), name=f"video device {index}"))
            finally:
                capture.release()
        return cameras

    def _grab(self, camera_id: str | None) -> bytes:
        candidates = self._candidates()
        if camera_id is not None:
            if not camera_id.isdigit():
                raise CameraError(
                    f"there is no camera {camera_id!r}", "use an id that camera_list returns"
                )
            candidates = (int(camera_id),)
        if not candidates:
            raise CameraError("no camera found on this device (no video device)", NO_CAMERA_HINT)
        cv2 = _cv2()

        for index in candidates:
            capture = _open(index)
            try:
                if not capture.isOpened():
                    continue
                frame = None
                for _ in range(WARMUP_FRAMES):
                    ok, image = capture.read()
                    frame = image if ok else frame
                if frame is None:
                    raise CameraError(
                        f"video device {index} opened but sent no picture",
                        "close other programs using the camera, then try again",
                    )
                ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
                if not ok:
                    raise CameraError(f"could not encode the picture from device {index}")
                return bytes(encoded.tobytes())
            finally:
                capture.release()
        raise CameraError(
            f"no camera could be opened (tried video device {', '.join(map(str, candidates))})",
            NO_CAMERA_HINT,
        )


def _cv2() -> Any:
    """OpenCV, or a clear error naming the install command when it is missing."""
    try:
        import cv2
    except ImportError:
        from router.install_hints import pip_install_command

        raise CameraError(
            "the host camera needs OpenCV, which is not installed (in the app, the "
            "camera comes through the app's own client instead)",
            pip_install_command("camera"),
        ) from None
    return cv2


def _open(index: int) -> Any:
    cv2 = _cv2()

    # Silent: a missing device is reported by our error, not by OpenCV warnings.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    return cv2.VideoCapture(index)
