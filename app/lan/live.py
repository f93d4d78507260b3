"""Cuts a paired phone's open websocket as soon as the phone is revoked.

The guard checks the device token when a websocket opens; Flet then keeps that connection
for the whole session. A phone revoked while its page is open (from the Phones section or
`tandem devices revoke` in another process) must not go on chatting, so every message it
sends is let through only while its token still checks out. Messages from the app to the
phone need no check: the app sends only what the phone's own messages started.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import Message, Receive, Scope, Send

REVOKED_CLOSE_CODE = 1008
"""WebSocket "policy violation": the phone's page shows it lost the connection."""
REVOKED_REASON = "this device was revoked; pair it again to use Tandem"


def while_paired(
    scope: Scope, receive: Receive, send: Send, still_paired: Callable[[], bool]
) -> tuple[Receive, Send]:
    """`receive` and `send` for the app, closing a websocket once `still_paired()` is False.

    HTTP requests pass unchanged (each one is checked when it arrives).
    """
    if scope["type"] != "websocket":
        return receive, send
    closed = False

    async def checked_receive() -> Message:
        nonlocal closed
        message = await receive()
        if closed or message["type"] != "websocket.receive" or still_paired():
            return message
        closed = True
        await send(
            {"type": "websocket.close", "code": REVOKED_CLOSE_CODE, "reason": REVOKED_REASON}
        )
        return {"type": "websocket.disconnect", "code": REVOKED_CLOSE_CODE}

    async def guarded_send(message: Message) -> None:
        if not closed:  # after the close, what the app still sends has nowhere to go
            await send(message)

    return checked_receive, guarded_send
