"""Builds the off-device endpoints named in the config, each behind the resilience layer."""

from __future__ import annotations

from typing import Any

from router.endpoints.base import Endpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.resilient import ResilientEndpoint
from router.paths import TandemPaths
from router.privacy.guard import EgressPolicy, guarded_httpx2_client, guarded_httpx_client
from router.settings.config import RemoteEndpointSettings, ResilienceSettings
from router.settings.secrets import get_api_key


def build_remote_endpoint(
    settings: RemoteEndpointSettings,
    resilience: ResilienceSettings,
    paths: TandemPaths,
    prices: PriceTable,
    egress: EgressPolicy | None = None,
) -> ResilientEndpoint:
    """Return the endpoint for one `[[endpoints]]` entry, with its key and prices.

    With `egress`, the endpoint's HTTP client checks every request's bytes against
    the values the pipeline currently protects (see `router.privacy.guard`).
    """
    inner: Endpoint
    key = get_api_key(settings, paths)
    common: dict[str, Any] = {
        "api_key": key,
        "prices": prices,
        "connect_timeout_s": resilience.connect_timeout_s,
        "read_timeout_s": resilience.first_token_timeout_s,
    }
    # One timeout for both client libraries: the guard's client replaces the
    # endpoint's own, so it must carry the same connect limit.
    read_s, connect_s = resilience.first_token_timeout_s, resilience.connect_timeout_s
    if settings.api == "anthropic":
        import httpx2

        from router.endpoints.anthropic_api import AnthropicEndpoint

        client2 = None
        if egress is not None:
            timeout2 = httpx2.Timeout(read_s, connect=connect_s)
            client2 = guarded_httpx2_client(egress, settings.name, timeout=timeout2)
        inner = AnthropicEndpoint(settings, http_client=client2, close_client=True, **common)
    else:
        import httpx

        from router.endpoints.openai_api import OpenAICompatEndpoint

        client = None
        if egress is not None:
            timeout = httpx.Timeout(read_s, connect=connect_s)
            client = guarded_httpx_client(egress, settings.name, timeout=timeout)
        inner = OpenAICompatEndpoint(settings, http_client=client, close_client=True, **common)
    return ResilientEndpoint(inner, resilience)
