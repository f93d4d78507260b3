"""Builds the off-device endpoints named in the config, each behind the resilience layer."""

from __future__ import annotations

from router.config import RemoteEndpointSettings, ResilienceSettings
from router.endpoints.base import Endpoint
from router.endpoints.resilient import ResilientEndpoint
from router.paths import TandemPaths
from router.pricing import PriceTable
from router.secrets import get_api_key


def build_remote_endpoint(
    settings: RemoteEndpointSettings,
    resilience: ResilienceSettings,
    paths: TandemPaths,
    prices: PriceTable,
) -> ResilientEndpoint:
    """Return the endpoint for one `[[endpoints]]` entry, with its key and prices."""
    inner: Endpoint
    key = get_api_key(settings, paths)
    common = {
        "api_key": key,
        "prices": prices,
        "connect_timeout_s": resilience.connect_timeout_s,
        "read_timeout_s": resilience.first_token_timeout_s,
    }
    if settings.api == "anthropic":
        from router.endpoints.anthropic_api import AnthropicEndpoint

        inner = AnthropicEndpoint(settings, **common)  # type: ignore[arg-type]
    else:
        from router.endpoints.openai_api import OpenAICompatEndpoint

        inner = OpenAICompatEndpoint(settings, **common)  # type: ignore[arg-type]
    return ResilientEndpoint(inner, resilience)
