"""The consent dialog's buttons: a request asked `once` offers no session grant."""

from __future__ import annotations

from typing import Any, cast

import flet as ft

from app.gui.services.consent import ConsentBroker, ConsentRequest
from app.gui.services.consent_dialog import ConsentDialog


def _buttons(request: ConsentRequest) -> list[str]:
    dialog = ConsentDialog(cast(ft.Page, None), ConsentBroker(scope="per_session"))
    built = dialog._build(request)
    return [cast(Any, action).content for action in built.actions or []]


def test_a_session_grant_is_offered_for_an_ordinary_request_only() -> None:
    ordinary = ConsentRequest("tool", "The assistant", "run uptime")
    once = ConsentRequest("tool", "The assistant", "run uptime", once=True)
    assert _buttons(ordinary) == ["Deny", "Allow once", "Allow for this session"]
    assert _buttons(once) == ["Deny", "Allow"]
