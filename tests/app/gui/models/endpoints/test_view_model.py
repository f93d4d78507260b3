"""The endpoints view-model: saved to config.toml, keys masked, real connection tests."""

from __future__ import annotations

import tomllib

import pytest

from app.gui.models.endpoints.view_model import EndpointForm, EndpointsViewModel, mask_key
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from tests.app.conftest import RuntimeFactory
from tests.support.fault_server import CLOUD_TEXT, BlackHole, FaultServer, closed_port

KEY = "sk-ant-api03-0123456789abcdefWXYZ"


def local_fake() -> FakeEndpoint:
    return FakeEndpoint(name="local", kind="local")


def edge_form(url: str, name: str = "box") -> EndpointForm:
    return EndpointForm(
        name=name, kind="edge", api="anthropic", model="claude-sonnet-4-5", base_url=url,
        api_key_env="BOX_KEY",
    )  # fmt: skip


def test_keys_are_masked_to_a_hint_of_their_ends() -> None:
    assert mask_key(KEY) == "sk-…WXYZ"
    assert mask_key("short-key") == "…ey"
    assert mask_key(None) == "no key"


async def test_saved_endpoint_is_written_routed_to_and_its_key_only_shown_masked(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOX_KEY", raising=False)
    async with fake_runtime(local_fake()) as runtime:
        vm = EndpointsViewModel(runtime)
        form = edge_form("http://127.0.0.1:9")
        form.price_input, form.price_output = "2", "10"

        assert await vm.save(form)

        data = tomllib.loads(tandem_home.config_file.read_text("utf-8"))
        assert data["endpoints"] == [
            {"name": "box", "kind": "edge", "api": "anthropic", "model": "claude-sonnet-4-5",
             "base_url": "http://127.0.0.1:9", "api_key_env": "BOX_KEY"}
        ]  # fmt: skip
        assert "box" in runtime.pipeline.endpoints  # routable from the next turn
        [row] = vm.rows()
        assert row.key == "no key ($BOX_KEY)"
        assert row.price == "$2 in / $10 out per Mtok"

        assert vm.set_key("box", KEY)
        [row] = vm.rows()
        assert row.key == "sk-…WXYZ"
        assert KEY not in vm.outcome.notice and "sk-…WXYZ" in vm.outcome.notice
        assert KEY not in tandem_home.config_file.read_text("utf-8")


async def test_editing_keeps_the_place_and_removing_forgets_the_endpoint(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = EndpointsViewModel(runtime)
        assert await vm.save(edge_form("http://127.0.0.1:9", "one"))
        assert await vm.save(edge_form("http://127.0.0.1:9", "two"))
        form = vm.form_for("one")
        form.model = "claude-opus-4-1"
        assert await vm.save(form, replacing="one")
        assert [(r.name, r.model) for r in vm.rows()] == [
            ("one", "claude-opus-4-1"),
            ("two", "claude-sonnet-4-5"),
        ]
        assert not await vm.save(edge_form("http://x", "two"))
        assert vm.outcome.error is not None and "already named 'two'" in vm.outcome.error

        assert await vm.remove("one")
        assert [r.name for r in vm.rows()] == ["two"]
        assert "one" not in runtime.pipeline.endpoints


async def test_invalid_endpoint_is_refused_with_the_field_named(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = EndpointsViewModel(runtime)
        assert not await vm.save(edge_form("http://x", name="Bad Name!"))
        assert vm.outcome.error is not None and vm.outcome.error.startswith("name:")
        assert not tandem_home.config_file.exists()


async def test_an_edge_saved_as_mine_is_in_my_zone_and_a_cloud_cannot_be(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = EndpointsViewModel(runtime)
        form = edge_form("http://127.0.0.1:9", "desk")
        form.mine = True
        assert await vm.save(form)
        data = tomllib.loads(tandem_home.config_file.read_text("utf-8"))
        assert data["endpoints"][0]["mine"] is True
        assert runtime.pipeline.endpoints["desk"].zone == "mine"
        [row] = vm.rows()
        assert row.kind == "edge · one of your devices"
        assert vm.form_for("desk").mine
        cloud = EndpointForm(name="claude", kind="cloud", model="claude-sonnet-4-5", mine=True)
        assert not await vm.save(cloud)
        assert (
            vm.outcome.error is not None and "only an edge can be marked mine" in vm.outcome.error
        )


async def test_connection_test_answers_through_a_real_http_server(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOX_KEY", "test-key-for-the-box")
    async with FaultServer(["ok"]) as server, fake_runtime(local_fake()) as runtime:
        vm = EndpointsViewModel(runtime)
        assert await vm.save(edge_form(server.url))
        result = await vm.test("box")
        assert result.startswith(f"ok: answered {CLOUD_TEXT!r}")
        assert vm.tests["box"] == result and not vm.testing
        assert server.requests == 1


async def test_connection_test_fails_clearly_when_nothing_answers(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOX_KEY", "test-key-for-the-box")
    async with fake_runtime(local_fake()) as runtime:
        vm = EndpointsViewModel(runtime)
        assert await vm.save(edge_form(f"http://127.0.0.1:{closed_port()}", "refused"))
        refused = await vm.test("refused")
        assert refused.startswith("failed:")

        hole = BlackHole()
        try:
            assert await vm.save(edge_form(f"http://127.0.0.1:{hole.port}", "hole"))
            silent = await vm.test("hole", timeout_s=1.0)
        finally:
            hole.close()
        assert silent.startswith("failed:")
