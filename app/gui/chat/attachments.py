"""Files attached to the next question, each with whether it will be sent (no Flet here).

A picked file is checked against the privacy rules as soon as it is added (in a
thread: text extraction and detectors can take a moment), so its chip tells the
user before sending whether it goes with the question or stays on this device.
Files picked in a browser arrive as bytes and are saved under the data folder,
since the pipeline reads attachments from disk.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from router import (
    Attachment,
    PrivacyReport,
    RouteDecision,
    Scanner,
    TandemError,
    TurnRequest,
    is_on_device,
    new_id,
)
from router.privacy.zones import ZONE_NAMES

Verdict = Literal["checking", "send", "redact", "keep_mine", "keep_local", "sent", "not_sent"]

_SHORT: dict[Verdict, str] = {
    "checking": "checking…",
    "send": "will be sent",
    "redact": "sent redacted",
    "keep_mine": "stays on your devices",
    "keep_local": "stays local",
    "sent": "sent",
    "not_sent": "stayed on this device",
}


@dataclass(frozen=True)
class AttachmentChip:
    """One attached file and what will happen (or happened) to it."""

    attachment: Attachment
    verdict: Verdict
    note: str
    """Why, in words: the privacy rule's reason, or where the question may go."""

    @property
    def label(self) -> str:
        """The chip's text, e.g. `notes.txt · stays local`."""
        return f"{self.attachment.name} · {_SHORT[self.verdict]}"

    @property
    def will_send(self) -> bool:
        """True when the file goes with the question (possibly off this device)."""
        return self.verdict in ("send", "redact", "sent")


def chip_for(attachment: Attachment, report: PrivacyReport) -> AttachmentChip:
    """The chip of a file whose own privacy scan gave `report`."""
    if report.action == "keep_local":
        return AttachmentChip(attachment, "keep_local", f"stays on this device: {report.reason}")
    if report.action == "keep_mine":
        note = f"goes only to your devices: {report.reason}"
        return AttachmentChip(attachment, "keep_mine", note)
    if report.action == "redact":
        return AttachmentChip(
            attachment, "redact", f"sensitive values are replaced first: {report.reason}"
        )
    return AttachmentChip(
        attachment, "send", "goes with the question, wherever the router sends it"
    )


def chips_after(chips: Sequence[AttachmentChip], decision: RouteDecision) -> list[AttachmentChip]:
    """The chips once the turn was routed: sent off the device, or kept on it."""
    remote = not is_on_device(decision.endpoint_kind)
    out: list[AttachmentChip] = []
    for chip in chips:
        if remote and chip.attachment.name in decision.attachments_sent:
            note = f"sent to {decision.endpoint} ({ZONE_NAMES[decision.zone]})"
            out.append(replace(chip, verdict="sent", note=note))
        else:
            out.append(replace(chip, verdict="not_sent", note=f"read on this device: {chip.note}"))
    return out


def photo_name(when: datetime, taken: Sequence[str] = ()) -> str:
    """A camera still's file name, e.g. `photo-20261127-141503.jpg`, unique among `taken`."""
    stem = f"photo-{when:%Y%m%d-%H%M%S}"
    name, count = f"{stem}.jpg", 1
    while name in taken:  # two stills in one second must not replace each other
        count += 1
        name = f"{stem}-{count}.jpg"
    return name


class AttachmentsViewModel:
    """The files waiting to go with the next question."""

    def __init__(
        self,
        scanner: Callable[[], Scanner],
        folder: Path,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """`scanner` returns the pipeline's current scanner (rules may change meanwhile)."""
        self._scanner = scanner
        self.folder = folder
        self.on_change = on_change
        self.chips: list[AttachmentChip] = []
        self.error: str | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    async def add_file(
        self, name: str, *, path: str | None = None, data: bytes | None = None
    ) -> None:
        """Attach a picked file, from its `path` on this device or its `data` (a browser)."""
        if path is None and data is None:
            self.error = f"{name}: the file picker gave neither a path nor the file's bytes"
            self._changed()
            return
        name = Path(name).name or "attachment"
        if path is None:
            assert data is not None
            path = str(await asyncio.to_thread(self._save, name, data))
        size = len(data) if data is not None else Path(path).stat().st_size
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachment = Attachment(name=name, mime_type=mime, size_bytes=size, path=path)
        # Names identify attachments in the route decision, so a re-pick replaces the old one.
        self.chips = [c for c in self.chips if c.attachment.name != name]
        self.chips.append(AttachmentChip(attachment, "checking", "checking the privacy rules…"))
        self.error = None
        self._changed()
        try:
            report = await asyncio.to_thread(self._scan, attachment)
        except Exception as exc:  # the chip must not stay "checking" (it holds Send back)
            why = exc.message if isinstance(exc, TandemError) else f"{type(exc).__name__}: {exc}"
            self.error = f"{name} could not be checked ({why}); it is kept on this device"
            report = PrivacyReport(
                action="keep_local", keep_local=True, reason="it could not be checked"
            )
        self.chips = [
            chip_for(attachment, report) if c.attachment == attachment else c for c in self.chips
        ]
        self._changed()

    async def attach_photo(
        self, capture: Callable[[], Awaitable[bytes | None]], when: datetime | None = None
    ) -> str | None:
        """Attach the still `capture()` returns, as `photo-<time>.jpg`; return its name.

        `capture` returns None when the user cancelled. When it raises (no camera,
        access refused) `error` says why and nothing else changes: the chips stay
        and the question being typed is not touched. Pressing the camera button is
        the user's consent for their own chat; the photo is checked against the
        privacy rules like any file (the default `images` rule keeps it local).
        """
        try:
            data = await capture()
        except Exception as exc:
            why = str(exc) if isinstance(exc, TandemError) else f"{type(exc).__name__}: {exc}"
            self.error = f"No photo was taken: {why}"
            self._changed()
            return None
        if data is None:
            return None
        taken = [c.attachment.name for c in self.chips]
        name = photo_name(when or datetime.now(), taken)
        await self.add_file(name, data=data)
        return name

    def remove(self, name: str) -> None:
        """Drop the attached file called `name`."""
        self.chips = [c for c in self.chips if c.attachment.name != name]
        self._changed()

    @property
    def checking(self) -> bool:
        """True while a file is still being checked (sending waits for it)."""
        return any(c.verdict == "checking" for c in self.chips)

    def take(self) -> list[AttachmentChip]:
        """Hand the attached files to a question and start over with none."""
        chips, self.chips = self.chips, []
        if chips:
            self._changed()
        return chips

    def _save(self, name: str, data: bytes) -> Path:
        target = self.folder / new_id() / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def _scan(self, attachment: Attachment) -> PrivacyReport:
        request = TurnRequest(text="", session_id="attachment-check", attachments=(attachment,))
        return self._scanner().scan(request, [])
