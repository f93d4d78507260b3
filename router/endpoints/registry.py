"""Builds the off-device endpoints named in the config, each behind the resilience layer.

`ENDPOINT_BUILDERS` is the one table of wire protocols: an `[[endpoints]] api`
value to the function that builds its endpoint. A new protocol is a new row.
Each builder imports its client library when called, so a config that uses
only one protocol never loads the other's SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from router.endpoints.base import Endpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.resilient import ResilientEndpoint
from router.endpoints.secrets import get_api_key
from router.endpoints.settings import RemoteEndpointSettings, ResilienceSettings
from router.errors import ConfigError
from router.paths import TandemPaths
from router.privacy.guard import EgressPolicy, guarded_httpx2_client, guarded_httpx_client
from router.types import zone_of

EndpointBuilder = Callable[
    [RemoteEndpointSettings, ResilienceSettings, EgressPolicy, dict[str, Any]], Endpoint
]
"""Builds one endpoint from its entry, the timeouts, the egress guard and the keyword
arguments every remote endpoint takes (key, prices, timeouts)."""


def _anthropic(
    settings: RemoteEndpointSettings,
    resilience: ResilienceSettings,
    egress: EgressPolicy,
    common: dict[str, Any],
) -> Endpoint:
    import httpx2

    from router.endpoints.anthropic_api import AnthropicEndpoint

    # The guard's client replaces the endpoint's own, so it carries the same limits.
    timeout = httpx2.Timeout(resilience.first_token_timeout_s, connect=resilience.connect_timeout_s)
    zone = zone_of(settings.kind, settings.mine)
    client = guarded_httpx2_client(egress, settings.name, timeout=timeout, zone=zone)
    return AnthropicEndpoint(settings, http_client=client, close_client=True, **common)


def _openai(
    settings: RemoteEndpointSettings,
    resilience: ResilienceSettings,
    egress: EgressPolicy,
    common: dict[str, Any],
) -> Endpoint:
    import httpx

    from router.endpoints.openai_api import OpenAICompatEndpoint

    # The guard's client replaces the endpoint's own, so it carries the same limits.
    timeout = httpx.Timeout(resilience.first_token_timeout_s, connect=resilience.connect_timeout_s)
    zone = zone_of(settings.kind, settings.mine)
    client = guarded_httpx_client(egress, settings.name, timeout=timeout, zone=zone)
    return OpenAICompatEndpoint(settings, http_client=client, close_client=True, **common)


ENDPOINT_BUILDERS: Mapping[str, EndpointBuilder] = {
    "anthropic": _anthropic,
    "openai": _openai,
}
"""Every off-device wire protocol by its `[[endpoints]] api` name."""


def build_remote_endpoint(
    settings: RemoteEndpointSettings,
    resilience: ResilienceSettings,
    paths: TandemPaths,
    prices: PriceTable,
    egress: EgressPolicy | None = None,
) -> ResilientEndpoint:
    """Return the endpoint for one `[[endpoints]]` entry, with its key and prices.

    The endpoint's HTTP client always comes from the guard's factory: with
    `egress` (the pipeline's), it checks every request's bytes against the values
    the pipeline currently protects (see `router.privacy.guard`); without, it
    protects nothing yet still leaves by the one way out, so a later policy or
    record at that seam covers every endpoint.
    """
    builder = ENDPOINT_BUILDERS.get(settings.api)
    if builder is None:
        raise ConfigError(
            f"endpoint {settings.name!r} uses unknown api {settings.api!r}",
            f"set its `api` to one of: {', '.join(ENDPOINT_BUILDERS)}",
        )
    common: dict[str, Any] = {
        "api_key": get_api_key(settings, paths),
        "prices": prices,
        "connect_timeout_s": resilience.connect_timeout_s,
        "read_timeout_s": resilience.first_token_timeout_s,
    }
    policy = egress if egress is not None else EgressPolicy()
    return ResilientEndpoint(builder(settings, resilience, policy, common), resilience)
