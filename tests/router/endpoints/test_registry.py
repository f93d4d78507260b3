"""The endpoint registry: one builder per `[[endpoints]] api`, each behind the resilience layer."""

from pathlib import Path
from typing import get_args

import pytest

from router.endpoints.anthropic_api import AnthropicEndpoint
from router.endpoints.openai_api import OpenAICompatEndpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.registry import ENDPOINT_BUILDERS, build_remote_endpoint
from router.endpoints.settings import RemoteEndpointSettings, ResilienceSettings
from router.errors import ConfigError
from router.paths import resolve_paths
from router.privacy.guard import EgressPolicy, GuardedTransport

RESILIENCE = ResilienceSettings(
    connect_timeout_s=1, first_token_timeout_s=2, total_timeout_s=5, max_retries=0,
    backoff_base_s=0.1, backoff_max_s=0.2, breaker_failures=3, breaker_cooldown_s=30,
    fallback_to_local=True,
)  # fmt: skip


def _remote(api: str) -> RemoteEndpointSettings:
    return RemoteEndpointSettings(
        name="far", kind="edge", api=api,  # type: ignore[arg-type]
        model="m", base_url="http://127.0.0.1:9/v1", api_key_env="TANDEM_REGISTRY_TEST_KEY",
    )  # fmt: skip


def test_every_configurable_api_has_a_builder() -> None:
    api_values = get_args(RemoteEndpointSettings.model_fields["api"].annotation)
    assert set(ENDPOINT_BUILDERS) == set(api_values)


@pytest.mark.parametrize(
    ("api", "cls"), [("anthropic", AnthropicEndpoint), ("openai", OpenAICompatEndpoint)]
)
@pytest.mark.parametrize("egress", [None, EgressPolicy()])
async def test_builds_the_api_s_endpoint_behind_resilience(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    api: str,
    cls: type,
    egress: EgressPolicy | None,
) -> None:
    monkeypatch.setenv("TANDEM_REGISTRY_TEST_KEY", "sk-test-registry")
    paths = resolve_paths(tmp_path / "home").ensure()
    endpoint = build_remote_endpoint(
        _remote(api), RESILIENCE, paths, PriceTable.load(paths), egress
    )
    assert isinstance(endpoint.inner, cls)
    assert (endpoint.name, endpoint.kind) == ("far", "edge")
    await endpoint.aclose()


def test_an_unknown_api_says_which_to_use(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    remote = _remote("openai").model_copy(update={"api": "grpc"})
    with pytest.raises(ConfigError, match="unknown api 'grpc'"):
        build_remote_endpoint(remote, RESILIENCE, paths, PriceTable.load(paths))


def _http_client(endpoint: object) -> object:
    """The HTTP client an endpoint's requests go out through."""
    if isinstance(endpoint, OpenAICompatEndpoint):
        return endpoint._http
    assert isinstance(endpoint, AnthropicEndpoint)
    return endpoint._client._client


@pytest.mark.parametrize("api", ["anthropic", "openai"])
async def test_every_built_endpoint_goes_out_through_the_guard_s_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    """One way out: even a probe with nothing to protect (`tandem endpoints test`)."""
    monkeypatch.setenv("TANDEM_REGISTRY_TEST_KEY", "sk-test-registry")
    paths = resolve_paths(tmp_path / "home").ensure()
    endpoint = build_remote_endpoint(_remote(api), RESILIENCE, paths, PriceTable.load(paths))
    client = _http_client(endpoint.inner)
    assert isinstance(client._transport, GuardedTransport)  # type: ignore[attr-defined]
    await endpoint.aclose()


@pytest.mark.parametrize("api", ["anthropic", "openai"])
@pytest.mark.parametrize(
    ("kind", "mine", "zone"), [("edge", True, "mine"), ("edge", False, "cloud")]
)
async def test_an_edge_marked_mine_is_in_my_zone_down_to_its_transport(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: str, kind: str, mine: bool, zone: str
) -> None:
    monkeypatch.setenv("TANDEM_REGISTRY_TEST_KEY", "sk-test-registry")
    paths = resolve_paths(tmp_path / "home").ensure()
    remote = _remote(api).model_copy(update={"kind": kind, "mine": mine})
    endpoint = build_remote_endpoint(remote, RESILIENCE, paths, PriceTable.load(paths))
    assert (endpoint.mine, endpoint.zone) == (mine, zone)
    assert endpoint.inner.zone == zone
    transport = _http_client(endpoint.inner)._transport  # type: ignore[attr-defined]
    assert transport.zone == zone  # the guard lets keep_mine values through only to mine
    await endpoint.aclose()


def test_only_an_edge_can_be_marked_mine() -> None:
    with pytest.raises(ValueError, match="only an edge"):
        RemoteEndpointSettings(name="c", kind="cloud", api="anthropic", model="m", mine=True)
    assert not RemoteEndpointSettings(name="c", kind="edge", api="openai", model="m").mine
