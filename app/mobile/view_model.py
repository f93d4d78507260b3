"""The phone app's state and actions, in plain Python (no Flet): app/mobile/view.py shows them.

Pairing with your Tandem, the Anthropic key, asking, and what the phone runs
without (router/optional.py's notices, NER's). Errors come back as one sentence
for the screen; nothing here raises to the view.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.mobile.pairing import pair, parse_pairing_link
from app.mobile.runtime import CLOUD, HOME, build_phone_runtime, connect_endpoints
from app.mobile.store import PhoneStore
from router.endpoints.base import TokenDelta
from router.errors import TandemError
from router.optional import notices
from router.paths import TandemPaths, resolve_paths
from router.privacy.detectors.ner import unavailable_notice
from router.privacy.zones import ZONE_NAMES
from router.runtime.compose import Runtime
from router.turn.events import TurnFinished
from router.types import Turn, TurnRequest, new_id

WHERE = {HOME: "my Tandem", CLOUD: "cloud", "local": "this phone"}
"""How the badge names each endpoint."""
PRIVACY = {
    "keep_local": "kept on this phone",
    "keep_mine": "kept on your devices",
    "redact": "private parts replaced",
    "allow": "",
}


def phone_paths() -> TandemPaths:
    """Tandem's folders in the app's own data folder (`FLET_APP_STORAGE_DATA` in a built app)."""
    data = os.environ.get("FLET_APP_STORAGE_DATA")
    return resolve_paths(Path(data) / "tandem" if data else None).ensure()


@dataclass(frozen=True)
class ChatLine:
    """One line of the conversation on screen."""

    role: Literal["user", "assistant", "notice"]
    text: str
    badge: str = ""
    """Where an answer came from and what the privacy scan did, e.g. "my Tandem"."""


def badge(turn: Turn) -> str:
    """The answer's badge: where it was answered, the trust zone where the name alone does
    not say it (your Tandem is one of your devices), and what stayed private."""
    if turn.route is None:
        return ""
    parts = [WHERE.get(turn.route.endpoint, turn.route.endpoint)]
    if turn.route.zone == "mine":
        parts.append(ZONE_NAMES["mine"])
    parts.append(PRIVACY.get(turn.route.privacy_action, ""))
    return " · ".join(p for p in parts if p)


class PhoneViewModel:
    """What the phone's screen shows and does: pairing, the key, the chat."""

    def __init__(self, paths: TandemPaths, store: PhoneStore, runtime: Runtime) -> None:
        """Drive `runtime` (from `open`); `store` holds the pairing and the key."""
        self.paths, self.store, self.runtime = paths, store, runtime
        self.session_id = new_id()  # a new conversation each time the app starts

    @classmethod
    async def open(cls, paths: TandemPaths | None = None) -> PhoneViewModel:
        """The phone's runtime over `paths` (the app's data folder by default)."""
        paths = paths or phone_paths()
        store = PhoneStore.for_paths(paths)
        return cls(paths, store, await build_phone_runtime(paths, store))

    def status(self) -> str:
        """One line: what the phone can reach."""
        pairing = self.store.pairing()
        home = f"paired with your Tandem at {pairing.base_url}" if pairing else "not paired"
        cloud = "cloud key saved" if self.store.cloud_key() else "no cloud key"
        return f"{home} · {cloud}"

    def notices(self) -> list[str]:
        """What runs without the packages a phone lacks, one sentence each."""
        said = list(notices().values())
        ner = unavailable_notice()
        return said + ([ner] if ner else [])

    async def pair(self, link_text: str, name: str) -> str:
        """Pair with the Tandem whose link the user gave; the outcome as one sentence."""
        try:
            pairing = await pair(parse_pairing_link(link_text), name)
        except TandemError as exc:
            return str(exc)
        self.store.save_pairing(pairing)
        await connect_endpoints(self.runtime, self.store)
        return f"Paired: your Tandem at {pairing.base_url} answers from now on."

    async def forget_pairing(self) -> str:
        """Forget the pairing (revoke the phone on your Tandem too)."""
        self.store.forget_pairing()
        await connect_endpoints(self.runtime, self.store)
        return "Forgotten. Revoke this phone in your Tandem's list of devices as well."

    async def save_key(self, key: str) -> str:
        """Keep the Anthropic key the user typed; the outcome as one sentence."""
        try:
            self.store.save_cloud_key(key)
        except TandemError as exc:
            return str(exc)
        await connect_endpoints(self.runtime, self.store)
        return "Key saved: the cloud answers when your Tandem cannot."

    async def ask(self, text: str, on_text: Callable[[str], None]) -> ChatLine:
        """Run one turn; `on_text` gets the answer so far as it streams; the finished line."""
        if not self.runtime.pipeline.endpoints:
            return ChatLine("notice", "Pair with your Tandem or save a cloud key first.")
        request = TurnRequest(text=text, session_id=self.session_id)
        answer = ""
        try:
            async for event in self.runtime.pipeline.run_turn(request):
                if isinstance(event, TokenDelta):
                    answer += event.text
                    on_text(answer)
                elif isinstance(event, TurnFinished):
                    return ChatLine("assistant", event.turn.answer, badge(event.turn))
        except TandemError as exc:
            return ChatLine("notice", str(exc))
        return ChatLine("assistant", answer)

    async def aclose(self) -> None:
        """Finish background work and close the runtime."""
        await self.runtime.aclose()
