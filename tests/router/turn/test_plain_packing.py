"""Plain packing (a pipeline without a context stage) never sends a kept-local turn off the device.

The context stage leaves kept-local turns out of an off-device endpoint's context;
the plain packer took the whole conversation, and a rescan of that history finds
only what a detector knows again. An answer built from a diary a rule keeps local
for its source carries no such value, so the packer itself must leave the turn out.
"""

from __future__ import annotations

from pathlib import Path

from router.endpoints.function import FunctionEndpoint
from router.policy.decide import LocalOnlyPolicy, PreferRemotePolicy
from tests.router.mcp.test_off_device_kept_turn import (
    DIARY,
    Recounts,
    pipeline_for,
    read_diary,
)
from tests.router.mcp.test_off_device_kept_turn import far_mailbox as far_mailbox
from tests.support.pipeline import collect, finished, route_chosen


async def test_a_kept_local_turn_is_left_out_of_a_cloud_turns_history(
    tmp_path: Path, far_mailbox: tuple[str, list[dict[str, str]]]
) -> None:
    local = Recounts(read_diary, name="local", kind="local")
    cloud = FunctionEndpoint(lambda call: "mild and sunny", name="cloud", kind="cloud")
    pipeline = pipeline_for(tmp_path, far_mailbox, LocalOnlyPolicy(), local, cloud)
    assert pipeline.tools is not None
    async with pipeline.tools:
        first = await collect(pipeline, "what did I write in my diary today?", session_id="s")
        pipeline.policy = PreferRemotePolicy()
        second = await collect(pipeline, "what is the weather like in spring?", session_id="s")
    assert DIARY in finished(first).turn.answer
    first_route = finished(first).turn.route
    assert first_route is not None and first_route.privacy_action == "keep_local"
    assert route_chosen(second).decision.endpoint == "cloud"
    sent = " ".join(m.content for call in cloud.calls for m in call.messages)
    assert "what is the weather" in sent
    assert DIARY not in sent and "diary" not in sent
