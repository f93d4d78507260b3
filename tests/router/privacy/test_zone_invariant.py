"""The trust-zone invariant, tried hard: a value a keep_mine rule covers, wherever it sits in
the conversation (prompt, history, an answer, an attachment, a tool result, the summary),
and mixed with values a rule redacts, never reaches the cloud or an edge that is not the
user's; it does reach the user's own edge, which answers the turn.

Every request goes through the real egress guard, with each transport's own zone
(tests/support/zones.py); the bytes checked are those that reached each endpoint.
"""

import asyncio
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.policy.decide import PreferRemotePolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import GenerationOptions
from tests.router.privacy.test_privacy_invariant import (
    EMAILS,
    ScriptedLedger,
    _conversation,
    _filler,
    _place,
)
from tests.router.privacy.test_scan import NAMES, fake_detect
from tests.support.pipeline import collect, finished, make_pipeline
from tests.support.zones import Zoned

MINE = ("project Falcon", "Nightjar roadmap", "Q3 reorg plan")
KEEP_MINE = PrivacyRule(
    name="work", keywords=list(MINE), action="keep_mine", reason="is about work"
)
REDACTED = (*NAMES, *EMAILS)


def _forms(value: str) -> list[bytes]:
    return [value.encode(), json.dumps(value)[1:-1].encode()]


@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    placed=st.lists(st.tuples(st.sampled_from((*MINE, *REDACTED)), _place), min_size=1, max_size=4),
    filler=_filler,
    n=st.integers(0, 10**9),
)
def test_keep_mine_values_reach_only_my_devices(
    tmp_path_factory: object, placed: list[tuple[str, str]], filler: str, n: int
) -> None:
    tmp = Path(str(tmp_path_factory.mktemp("zones")))  # type: ignore[attr-defined]
    zoned = Zoned.build()
    ledger = ScriptedLedger(tmp / "ledger.sqlite")
    pipeline = make_pipeline(
        ledger,
        endpoints=zoned.endpoints,
        policy=PreferRemotePolicy(),
        generation=GenerationOptions(max_tokens=200),
        scanner=Scanner(rules=build_rules([KEEP_MINE]), detectors=[FunctionDetector(fake_detect)]),
        egress_policy=zoned.policy,
    )
    request, ledger.scripted = _conversation(tmp, placed, filler)
    events = asyncio.run(collect(pipeline, request.model_copy(update={"session_id": f"s{n}"})))
    turn = finished(events).turn
    kept_mine = {v for v, _ in placed if v in MINE}
    for value in kept_mine:
        for name in ("cloud", "lab"):
            assert not any(f in zoned.received(name) for f in _forms(value)), (value, name)
    for value in {v for v, _ in placed if v in REDACTED}:
        for name in ("cloud", "lab", "desk"):  # a redacted value's text reaches no device
            assert not any(f in zoned.received(name) for f in _forms(value)), (value, name)
    # Utility: the user's edge answers what stays on their devices; the cloud the rest.
    assert turn.status == "complete" and turn.route is not None
    assert turn.route.endpoint == ("desk" if kept_mine else "cloud")
    assert pipeline.egress_policy.blocked == 0
    # What always travels with the question (the packer may leave history out) reaches it.
    sent_along = {v for v, where in placed if v in MINE and where in ("prompt", "attachment")}
    assert all(any(f in zoned.received("desk") for f in _forms(v)) for v in sent_along)
    ledger.close()
