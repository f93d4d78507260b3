"""Through the pipeline: the cloud learns the city's country, never the city; the user sees it.

The shipped detectors and rules, and a fake cloud whose requests go through the
real egress guard (tests/support/wire.py); it answers with the placeholder it was
given, as a model would, once described and once bare.
"""

import json
from pathlib import Path

from router.endpoints.fake import FakeEndpoint, words
from router.endpoints.function import EndpointCall, FunctionEndpoint
from router.policy.decide import PreferRemotePolicy
from router.privacy.guard import EgressPolicy
from router.privacy.redact import PLACEHOLDER
from router.types import GenerationOptions
from tests.support.pipeline import collect, finished, make_pipeline, streamed_text
from tests.support.wire import Wire

QUESTION = "my flat in Tromsø needs a plumber, who should I call?"


async def test_the_cloud_gets_the_country_and_the_user_gets_the_city_back(tmp_path: Path) -> None:
    policy = EgressPolicy()
    wire = Wire(policy)

    async def cloud(call: EndpointCall) -> list[str]:
        await wire.post({"messages": [m.content for m in call.messages]})
        described = next(PLACEHOLDER.finditer(call.messages[-1].content)).group(0)
        bare = described.split(",")[0] + "]"
        return words(f"Plumbers in {described} are busy; call one near {bare}.")

    pipeline = make_pipeline(
        tmp_path,
        endpoints={
            "local": FakeEndpoint(name="local"),
            "cloud": FunctionEndpoint(cloud, name="cloud", kind="cloud"),
        },
        policy=PreferRemotePolicy(),
        generation=GenerationOptions(max_tokens=200),
        egress_policy=policy,
    )
    events = await collect(pipeline, QUESTION)
    turn = finished(events).turn
    assert turn.route is not None and turn.route.endpoint == "cloud"
    assert "CITY" in turn.route.redactions
    [body] = wire.sent
    sent = json.loads(body)["messages"][-1]
    assert "[CITY_1, a city in Norway]" in sent
    assert "Troms" not in body.decode("unicode_escape") and "Troms" not in sent
    assert turn.answer == "Plumbers in Tromsø are busy; call one near Tromsø."
    assert streamed_text(events) == turn.answer
