"""The phone's runtime: its endpoints come from what the phone keeps, in the order it prefers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.mobile.runtime import CLOUD, HOME, build_phone_runtime, connect_endpoints
from app.mobile.store import PhoneStore
from router.optional import notices
from router.paths import TandemPaths
from tests.app.mobile.test_store import PAIRING
from tests.support.lan_stub import make_certificate


async def test_endpoints_follow_the_pairing_and_the_key(
    no_model_file: TandemPaths, tmp_path: Path
) -> None:
    certificate = make_certificate(tmp_path).cert_file.read_text()
    store = PhoneStore.for_paths(no_model_file)
    runtime = await build_phone_runtime(no_model_file, store)
    try:
        assert runtime.pipeline.endpoints == {}
        assert "there is no on-device model" in notices()["phone-model"]
        assert runtime.memory is None and runtime.pipeline.tools is None
        assert runtime.pipeline.policy.name == "prefer_remote"
        store.save_cloud_key("sk-ant-typed")
        assert await connect_endpoints(runtime, store) == [CLOUD]
        store.save_pairing(replace(PAIRING, certificate_pem=certificate))
        assert await connect_endpoints(runtime, store) == [HOME, CLOUD]
        live = runtime.pipeline.endpoints
        assert list(live) == [HOME, CLOUD]  # your Tandem first: prefer_remote takes it first
        assert (live[HOME].kind, live[CLOUD].kind) == ("edge", "cloud")
        # Your paired Tandem is one of your devices: keep_mine data may reach it, down to
        # its guarded transport; the cloud never gets it.
        assert (live[HOME].zone, live[CLOUD].zone) == ("mine", "cloud")
        home = live[HOME].inner  # type: ignore[attr-defined]
        assert home._client._client._transport.zone == "mine"
        store.forget_cloud_key()
        assert await connect_endpoints(runtime, store) == [HOME]
    finally:
        await runtime.aclose()
