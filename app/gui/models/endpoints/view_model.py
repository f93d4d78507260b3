"""The off-device endpoints part of the Models section: list, edit, keys, prices, tests.

Plain Python (no Flet). API keys go to the OS keyring (router/endpoints/secrets.py) and
are only ever shown masked (`sk-…abcd`). Saved endpoints replace the running
ones at once, built with the pipeline's shared egress policy, so the privacy
guard covers them like the endpoints built at start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from app.gui.outcome import ActionOutcome
from app.present.endpoints import ping
from app.present.turn import stats_line
from router import Endpoint, Runtime, TandemError, save_and_apply
from router.endpoints.pricing import PriceTable
from router.endpoints.registry import build_remote_endpoint
from router.endpoints.secrets import get_api_key, key_env_var, set_api_key
from router.endpoints.settings import RemoteEndpointSettings, ResilienceSettings
from router.settings.store import read_toml_file, write_toml

TEST_TIMEOUT_S = 15.0


def mask_key(key: str | None) -> str:
    """Show a key as `sk-…abcd`: enough to tell keys apart, never enough to use one."""
    if not key:
        return "no key"
    if len(key) < 12:
        return "…" + key[-2:]
    return f"{key[:3]}…{key[-4:]}"


@dataclass
class EndpointForm:
    """An endpoint as typed into the editor; prices are USD per million tokens."""

    name: str = ""
    kind: Literal["cloud", "edge"] = "cloud"
    api: Literal["anthropic", "openai"] = "anthropic"
    model: str = ""
    base_url: str = ""
    api_key_env: str = ""
    price_input: str = ""
    price_output: str = ""
    mine: bool = False
    """An edge that is one of the user's devices (it may get what keep_mine rules keep)."""

    def to_settings(self) -> RemoteEndpointSettings:
        """The endpoint's settings; raises `TandemError` saying what to fix."""
        try:
            return RemoteEndpointSettings(
                name=self.name.strip(),
                kind=self.kind,
                api=self.api,
                model=self.model.strip(),
                base_url=self.base_url.strip() or None,
                api_key_env=self.api_key_env.strip() or None,
                mine=self.mine,
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            field_name = ".".join(str(p) for p in err["loc"]) or "mine"
            raise TandemError(f"{field_name}: {err['msg']}", "correct it and save again") from exc


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint as listed: where it runs, its model, key and price."""

    name: str
    kind: str
    api: str
    model: str
    base_url: str
    key: str
    price: str


@dataclass
class EndpointsViewModel:
    """State and actions of the endpoints list for one page."""

    runtime: Runtime
    on_change: Callable[[], None] = field(default=lambda: None)
    tests: dict[str, str] = field(default_factory=dict)
    """The latest connection test result per endpoint name."""
    testing: set[str] = field(default_factory=set)
    outcome: ActionOutcome = field(init=False)
    """How the last action ended (its error or notice)."""

    def __post_init__(self) -> None:
        # A lambda, not the callable itself: the view sets `on_change` after construction.
        self.outcome = ActionOutcome(lambda: self.on_change())

    def rows(self) -> list[EndpointRow]:
        """The configured endpoints, in order of preference."""
        prices = PriceTable.load(self.runtime.paths)
        rows = []
        for remote in self.runtime.settings.endpoints:
            price = prices.price(remote.model)
            env = key_env_var(remote)
            key = get_api_key(remote, self.runtime.paths)
            rows.append(
                EndpointRow(
                    name=remote.name,
                    kind=f"{remote.kind} · one of your devices" if remote.mine else remote.kind,
                    api=remote.api,
                    model=remote.model,
                    base_url=remote.base_url or "provider default",
                    key=mask_key(key) + (f" (${env})" if env and key is None else ""),
                    price=f"${price.input:g} in / ${price.output:g} out per Mtok"
                    if price
                    else "price unknown (counted as free)",
                )
            )
        return rows

    def form_for(self, name: str) -> EndpointForm:
        """The editor form filled with endpoint `name`."""
        remote = self._find(name)
        price = PriceTable.load(self.runtime.paths).price(remote.model)
        return EndpointForm(
            name=remote.name,
            kind=remote.kind,
            api=remote.api,
            model=remote.model,
            base_url=remote.base_url or "",
            api_key_env=remote.api_key_env or "",
            price_input=f"{price.input:g}" if price else "",
            price_output=f"{price.output:g}" if price else "",
            mine=remote.mine,
        )

    async def save(self, form: EndpointForm, replacing: str | None = None) -> bool:
        """Add an endpoint (or replace `replacing`), save it and route to it from the next turn."""
        try:
            remote = form.to_settings()
            current = list(self.runtime.settings.endpoints)
            others = [e for e in current if e.name != replacing]
            if remote.name == "local" or any(e.name == remote.name for e in others):
                raise TandemError(f"an endpoint is already named {remote.name!r}", "pick another")
            self._save_price(remote.model, form.price_input, form.price_output)
            # An edited endpoint keeps its place: the order is the order of preference.
            changed = [remote if e.name == replacing else e for e in current]
            self._save_list(changed if replacing else [*current, remote])
            if replacing and replacing != remote.name:
                await self._swap(replacing, None)
            await self._swap(remote.name, remote)
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = f"endpoint {remote.name} saved"
        return self.outcome.done()

    async def remove(self, name: str) -> bool:
        """Forget endpoint `name` (its saved key stays in the keyring)."""
        try:
            self._save_list([e for e in self.runtime.settings.endpoints if e.name != name])
            await self._swap(name, None)
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = f"endpoint {name} removed"
        return self.outcome.done()

    def set_key(self, name: str, key: str) -> bool:
        """Store `name`'s API key in the OS keyring; it is shown masked from then on."""
        key = key.strip()
        try:
            self._find(name)
            if not key:
                raise TandemError("no key given", "paste the key into the field")
            where = set_api_key(name, key, self.runtime.paths)
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = f"key {mask_key(key)} saved for {name} ({where})"
        return self.outcome.done()

    async def test(self, name: str, timeout_s: float = TEST_TIMEOUT_S) -> str:
        """Send a one-word request through endpoint `name`; return (and keep) the outcome."""
        self.testing.add(name)
        self.tests[name] = "testing…"
        self.on_change()
        try:
            remote = self._find(name)
            endpoint = self._build(remote, _quick(self.runtime.settings.resilience, timeout_s))
            try:
                result = await asyncio.wait_for(_ping(endpoint), timeout_s)
            finally:
                await endpoint.aclose()
        except TimeoutError:
            result = f"failed: no answer within {timeout_s:g} s (check the address and network)"
        except TandemError as exc:
            result = f"failed: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
        finally:
            self.testing.discard(name)
        self.tests[name] = result
        self.on_change()
        return result

    # --- helpers -----------------------------------------------------------------------

    def _find(self, name: str) -> RemoteEndpointSettings:
        for remote in self.runtime.settings.endpoints:
            if remote.name == name:
                return remote
        raise TandemError(f"no endpoint named {name!r}", "add it first")

    def _build(self, remote: RemoteEndpointSettings, resilience: ResilienceSettings) -> Endpoint:
        prices = PriceTable.load(self.runtime.paths)
        egress = self.runtime.pipeline.egress_policy
        return build_remote_endpoint(remote, resilience, self.runtime.paths, prices, egress)

    def _save_list(self, endpoints: list[RemoteEndpointSettings]) -> None:
        dumped = [e.model_dump(exclude_defaults=True, exclude_none=True) for e in endpoints]
        save_and_apply(self.runtime, {"endpoints": dumped})

    async def _swap(self, name: str, remote: RemoteEndpointSettings | None) -> None:
        live = self.runtime.pipeline.endpoints
        old = live.pop(name, None)
        if remote is not None:
            live[name] = self._build(remote, self.runtime.settings.resilience)
        if old is not None:
            await old.aclose()

    def _save_price(self, model: str, price_in: str, price_out: str) -> None:
        if not price_in.strip() and not price_out.strip():
            return
        try:
            price = {"input": float(price_in or 0), "output": float(price_out or 0)}
        except ValueError:
            raise TandemError("a price is not a number", "type USD per million tokens") from None
        path = self.runtime.paths.config_dir / "pricing.toml"
        data: dict[str, Any] = read_toml_file(path)
        data.setdefault("models", {})[model] = price
        write_toml(path, data)
        PriceTable.load(self.runtime.paths)  # raises a clear ConfigError if it is not valid


def _quick(resilience: ResilienceSettings, timeout_s: float) -> ResilienceSettings:
    """Timeouts for a connection test: one try, answered within `timeout_s`."""
    connect = min(resilience.connect_timeout_s, 5.0)
    return resilience.model_copy(
        update={
            "connect_timeout_s": connect,
            "first_token_timeout_s": timeout_s,
            "total_timeout_s": timeout_s,
            "max_retries": 0,
        }
    )


async def _ping(endpoint: Endpoint) -> str:
    text, end = await ping(endpoint)
    stats = stats_line(end.usage if end else None, "complete")
    return f"ok: answered {text.strip()[:40]!r} · {stats}"
