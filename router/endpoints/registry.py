"""Builds the off-device endpoints named in the config, each behind the resilience layer."""

from __future__ import annotations

from typing import Any

from router.config import RemoteEndpointSettings, ResilienceSettings
from router.endpoints.base import Endpoint
from router.endpoints.resilient import ResilientEndpoint
from router.paths import TandemPaths
from router.pricing import PriceTable
from router.privacy.guard import EgressPolicy, guarded_httpx2_client, guarded_httpx_client
from router.secrets import get_api_key


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
    if settings.api == "anthropic":
        import httpx2

        from router.endpoints.anthropic_api import AnthropicEndpoint

        if egress is not None:
            common["http_client"] = guarded_httpx2_client(
                egress,
                settings.name,
                timeout=httpx2.Timeout(
                    resilience.first_token_timeout_s, connect=resilience.connect_timeout_s
                ),
            )
        inner = AnthropicEndpoint(settings, **common)
    else:
        import httpx

        from router.endpoints.openai_api import OpenAICompatEndpoint

        if egress is not None:
            common["http_client"] = guarded_httpx_client(
                egress,
                settings.name,
                timeout=httpx.Timeout(
                    resilience.first_token_timeout_s, connect=resilience.connect_timeout_s
                ),
            )
        inner = OpenAICompatEndpoint(settings, **common)
    if egress is not None:
        # The endpoint closes a client it made itself; this one it did not make, but
        # nothing else holds it, so hand the ownership over.
        inner._owns_http = True
    return ResilientEndpoint(inner, resilience)
