"""Tandem's turn pipeline on the phone: the privacy scan, routing, the ledger, context packing.

The runtime is the desktop's (`build_runtime`), with what a phone has: no Chroma
memory and no MCP tools; an on-device model only where llama.cpp imports and a
model file is configured. Its off-device endpoints are, in this order (the
`prefer_remote` policy takes the first reachable one):

1. `home`: your own Tandem, paired by its QR code (app/mobile/pairing.py), over
   TLS pinned to its certificate, authorised by the device token;
2. `claude`: Anthropic's API, with the key the user typed.

Both are built with the runtime's egress policy, so the pipeline's privacy rules
and the guard's backstop decide what leaves the phone, as on the desktop.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx2

from app.mobile.pairing import Pairing
from app.mobile.pin import pinned_context
from app.mobile.store import PhoneStore
from router.endpoints.anthropic_api import AnthropicEndpoint
from router.endpoints.base import Endpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.resilient import ResilientEndpoint
from router.endpoints.settings import RemoteEndpointSettings, ResilienceSettings
from router.errors import TandemError
from router.models.manager import ModelManager
from router.optional import notice_once
from router.paths import TandemPaths
from router.privacy.guard import EgressPolicy, guarded_httpx2_client
from router.runtime.compose import Runtime, build_runtime
from router.runtime.optional_parts import device_model
from router.settings.config import Settings, load_settings
from router.types import zone_of

HOME = "home"
"""The endpoint name of your own Tandem (kind `edge`)."""
CLOUD = "claude"
"""The endpoint name of Anthropic's API (kind `cloud`)."""
EDGE_MODEL = "tandem"
"""Your Tandem's edge API serves one model under any name."""
EDGE_CONTEXT_WINDOW = 4096
"""Prior: the desktop's default `[local] n_ctx`; its edge API refuses longer prompts."""
CLOUD_MODEL = "claude-sonnet-4-5"


def phone_settings(paths: TandemPaths) -> Settings:
    """The settings in `paths`, with what a phone lacks switched off.

    Memory search needs Chroma and MCP's device tools are not wired on the phone;
    routing prefers your Tandem, then the cloud, and answers on the phone only when
    neither is reachable (or a rule keeps a turn there).
    """
    settings = load_settings(paths)
    return settings.model_copy(
        update={
            "routing": settings.routing.model_copy(update={"policy": "prefer_remote"}),
            "memory": settings.memory.model_copy(update={"enabled": False}),
            "mcp": settings.mcp.model_copy(update={"enabled": False}),
        }
    )


def phone_device_model(paths: TandemPaths, settings: Settings) -> dict[str, Endpoint]:
    """The on-device model where llama.cpp imports and its model file is there; else none."""
    manager = ModelManager(paths.models_dir, settings.local.model)
    try:
        return device_model(manager, settings.local, None)
    except TandemError as exc:  # no bundled model on a phone: a .gguf must be configured
        notice_once(
            "phone-model",
            f"there is no on-device model ({exc.message}); copy a .gguf file into "
            f"{paths.models_dir} and name it in [local] model to answer on this phone",
        )
        return {}


async def build_phone_runtime(paths: TandemPaths, store: PhoneStore) -> Runtime:
    """The phone's runtime, with `home` and `claude` as `store` holds them."""
    settings = phone_settings(paths)
    runtime = build_runtime(paths, settings, endpoints=phone_device_model(paths, settings))
    await connect_endpoints(runtime, store)
    return runtime


async def connect_endpoints(runtime: Runtime, store: PhoneStore) -> list[str]:
    """(Re)build `home` and `claude` from `store`; return the names now connected.

    Called again after pairing or a new key: the old endpoints are closed.
    """
    live = runtime.pipeline.endpoints
    old = [live.pop(name) for name in (HOME, CLOUD) if name in live]
    egress = runtime.pipeline.egress_policy
    resilience = runtime.settings.resilience
    prices = PriceTable.load(runtime.paths)
    pairing = store.pairing()
    if pairing is not None:
        live[HOME] = home_endpoint(pairing, resilience, prices, egress)
    key = store.cloud_key()
    if key is not None:
        live[CLOUD] = cloud_endpoint(key, resilience, prices, egress)
    await _close(old)
    return [name for name in (HOME, CLOUD) if name in live]


def home_endpoint(
    pairing: Pairing, resilience: ResilienceSettings, prices: PriceTable, egress: EgressPolicy
) -> Endpoint:
    """Your Tandem's edge API: TLS pinned to its certificate, the device token as the key.

    It is one of your devices (`mine`): what a keep_mine rule keeps may go there.
    """
    settings = RemoteEndpointSettings(
        name=HOME,
        kind="edge",
        api="anthropic",
        model=EDGE_MODEL,
        base_url=pairing.base_url,
        context_window=EDGE_CONTEXT_WINDOW,
        prompt_caching=False,
        mine=True,
    )
    transport = httpx2.AsyncHTTPTransport(verify=pinned_context(pairing.certificate_pem))
    return _anthropic(settings, pairing.token, resilience, prices, egress, transport)


def cloud_endpoint(
    key: str, resilience: ResilienceSettings, prices: PriceTable, egress: EgressPolicy
) -> Endpoint:
    """Anthropic's API with the key the user typed on the phone."""
    settings = RemoteEndpointSettings(name=CLOUD, kind="cloud", api="anthropic", model=CLOUD_MODEL)
    return _anthropic(settings, key, resilience, prices, egress, None)


def _anthropic(
    settings: RemoteEndpointSettings,
    key: str,
    resilience: ResilienceSettings,
    prices: PriceTable,
    egress: EgressPolicy,
    transport: httpx2.AsyncBaseTransport | None,
) -> Endpoint:
    """An Anthropic-protocol endpoint whose one way out is the runtime's guarded client."""
    timeout = httpx2.Timeout(resilience.first_token_timeout_s, connect=resilience.connect_timeout_s)
    zone = zone_of(settings.kind, settings.mine)
    client = guarded_httpx2_client(
        egress, settings.name, timeout=timeout, transport=transport, zone=zone
    )
    endpoint = AnthropicEndpoint(
        settings,
        api_key=key,
        prices=prices,
        connect_timeout_s=resilience.connect_timeout_s,
        read_timeout_s=resilience.first_token_timeout_s,
        http_client=client,
        close_client=True,
    )
    return ResilientEndpoint(endpoint, resilience)


async def _close(endpoints: Sequence[Endpoint]) -> None:
    for endpoint in endpoints:
        await endpoint.aclose()
