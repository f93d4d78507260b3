"""One `Feedback` per runtime, shared by every page's chat and Dashboard."""

from __future__ import annotations

from app.gui.services.feedback import feedback_for
from router.endpoints.fake import FakeEndpoint
from tests.app.conftest import RuntimeFactory


async def test_each_runtime_has_one_feedback_on_its_own_pipeline(
    fake_runtime: RuntimeFactory,
) -> None:
    async with (
        fake_runtime(FakeEndpoint(name="local", kind="local")) as first,
        fake_runtime(FakeEndpoint(name="local", kind="local")) as second,
    ):
        assert feedback_for(first) is feedback_for(first)
        assert feedback_for(first).pipeline is first.pipeline
        assert feedback_for(second) is not feedback_for(first)
        assert feedback_for(second).pipeline is second.pipeline
