"""A chat runtime with two tiers: a fake on-device model and a fake priced cloud endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from router.endpoints.function import FunctionEndpoint
from router.paths import TandemPaths
from router.privacy.rules import PrivacyRule
from router.runtime.compose import Runtime, build_runtime
from router.settings.config import load_settings
from tests.router.policy.helpers import (
    RATED_CLOUD_PRICE_OUT,
    flat_quality_routing,
    priced_endpoint,
)

ASKED = "What is the capital city of Australia?"
SIMILAR = "Which city is the capital of Australia?"
UNRELATED = "Write a short poem about autumn leaves falling."
SECRET = "What is the status of project bluebird?"
"""A question a privacy rule keeps on the device (it names project bluebird)."""


def two_tier_runtime(
    home: TandemPaths, tmp_path: Path, policy: str = "learned", local_answer: str | None = None
) -> tuple[Runtime, FunctionEndpoint]:
    """A runtime routing by `policy` between `local` and `claude` (returned, to count calls).

    `learned` rates the device above the priced cloud on every question until the user's
    ratings say otherwise (`flat_quality_routing`); a rule keeps "bluebird" on the device.
    The device echoes the question, or says `local_answer` to every one.
    """
    settings = load_settings(home)
    routing = flat_quality_routing(tmp_path, policy).model_copy(update={"embed_features": True})
    rule = PrivacyRule(name="codename", keywords=["bluebird"], action="keep_local", reason="x")
    # NER and the strict name rule would redact "Australia": a plain question here.
    privacy = settings.privacy.model_copy(
        update={"rules": [rule], "ner": False, "names": "standard"}
    )
    settings = settings.model_copy(update={"routing": routing, "privacy": privacy})
    cloud = priced_endpoint("claude", "cloud", price_out=RATED_CLOUD_PRICE_OUT)
    local = priced_endpoint("local", "local", answer=local_answer)
    endpoints = {"local": local, "claude": cloud}
    return build_runtime(home, settings, endpoints=endpoints), cloud  # type: ignore[arg-type]


@asynccontextmanager
async def open_two_tiers(
    home: TandemPaths, tmp_path: Path, policy: str = "learned", local_answer: str | None = None
) -> AsyncIterator[tuple[Runtime, FunctionEndpoint]]:
    """`two_tier_runtime`, closed when the block ends."""
    runtime, cloud = two_tier_runtime(home, tmp_path, policy, local_answer)
    try:
        yield runtime, cloud
    finally:
        await runtime.aclose()
