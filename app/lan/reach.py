"""Which paired device, if any, the current page or request reached Tandem through.

`LanGuard` sets it around everything it passes on to the app, so code that runs for a
LAN page (the shell, built in Flet's page task, which copies the context of the
websocket that opened it) can tell a paired phone from the user's own loopback tab.
It is set on the server side, from the token the guard checked: a client cannot claim
to be local.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from app.lan.devices import PairedDevice

_DEVICE: ContextVar[PairedDevice | None] = ContextVar("tandem_lan_device", default=None)


def lan_device() -> PairedDevice | None:
    """The paired device the current page or request came from; None for this computer."""
    return _DEVICE.get()


@contextlib.contextmanager
def serving_device(device: PairedDevice) -> Iterator[None]:
    """Mark what runs inside (and the tasks it starts) as serving `device`."""
    token = _DEVICE.set(device)
    try:
        yield
    finally:
        _DEVICE.reset(token)
