"""The device's own model as a judge of names the cheap signals disagree on (name_judge.py).

A listed public name in a task, a statement or a long text is undecided: private,
unless the judge answers an explicit "public". The device model here is a scripted
fake, so each test states its reply; the detectors report given spans.
"""

import pytest
from pydantic import ValidationError

from router.endpoints.base import Endpoint, TokenDelta
from router.endpoints.function import FunctionEndpoint
from router.errors import EndpointError
from router.paths import TandemPaths
from router.policy.decide import LocalOnlyPolicy, PreferRemotePolicy
from router.privacy.public import PUBLIC
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.privacy.settings import PrivacySettings
from router.runtime.compose import build_runtime, scanner_for
from router.settings.config import load_settings
from router.turn.name_judge import DeviceJudge
from router.turn.pipeline import TurnPipeline
from router.types import EndpointKind, PrivacyReport, TurnRequest
from tests.support.pipeline import collect, make_pipeline
from tests.support.scripted import Scripted
from tests.support.spans import span_detector

TASK = "Compose a travel blog post about Hawaii."


def _device(*reply: object, kind: EndpointKind = "local") -> Scripted:
    """The device model, answering every prompt with `reply` (text, an error or a stall)."""
    return Scripted(
        [TokenDelta(text=r) if isinstance(r, str) else r for r in reply], name="local", kind=kind
    )


def _scanner(device: Endpoint | None, timeout_s: float = 5.0, **typed: str) -> Scanner:
    judge = DeviceJudge(lambda: device, timeout_s=timeout_s)
    return Scanner(rules=build_rules([]), detectors=[span_detector(**typed)], judge=judge)


async def _judged(scanner: Scanner, text: str) -> PrivacyReport:
    return await scanner.scan_judged(TurnRequest(text=text, session_id="s"), [])


def _redacted(report: PrivacyReport) -> set[str]:
    return {p.value for p in report.protected}


async def test_a_name_the_judge_calls_public_reaches_the_cloud() -> None:
    device = _device("1. public")
    report = await _judged(_scanner(device, LOCATION="Hawaii"), TASK)
    assert report.action == "allow" and _redacted(report) == set()
    assert [f.category for f in report.findings] == [PUBLIC]
    [call] = device.calls
    prompt = "\n".join(m.content for m in call.messages)
    assert TASK in prompt and "1. Hawaii" in prompt


@pytest.mark.parametrize(
    "reply",
    [
        ("1. private",),
        ("1. not public",),
        ("1. public\n1. private",),  # contradicts itself
        ("Hawaii is a lovely place to visit.",),  # no verdict at all
        ("\x00\ufffd]]{",),  # garbage
        (EndpointError("the model failed"),),
        (RuntimeError("worker crashed"),),
        (30.0,),  # stalls past the judge's timeout
    ],
)
async def test_anything_but_an_explicit_public_keeps_the_name_private(reply: tuple[object]) -> None:
    report = await _judged(_scanner(_device(*reply), timeout_s=0.2, LOCATION="Hawaii"), TASK)
    assert _redacted(report) == {"Hawaii"}


async def test_no_device_model_or_one_off_the_device_is_never_asked() -> None:
    cloud = _device("1. public", kind="cloud")
    assert _redacted(await _judged(_scanner(cloud, LOCATION="Hawaii"), TASK)) == {"Hawaii"}
    assert cloud.calls == []
    assert _redacted(await _judged(_scanner(None, LOCATION="Hawaii"), TASK)) == {"Hawaii"}


@pytest.mark.parametrize(
    "text",
    [
        "Compose a post about my trip to Hawaii.",
        "Compose a letter to Tom Hargreaves in Hawaii.",
        "Compose a letter to 14 Elm Road, Hawaii.",
        "Compose a note to Hawaii, a colleague.",
    ],
)
async def test_names_with_a_hard_cue_never_reach_the_judge(text: str) -> None:
    device = _device("1. public\n2. public\n3. public")
    scanner = _scanner(
        device, LOCATION="Hawaii", PERSON="Tom Hargreaves", STREET_ADDRESS="14 Elm Road"
    )
    report = await _judged(scanner, text)
    assert device.calls == []
    identifiers = {"Tom Hargreaves", "14 Elm Road"}
    assert {"Hawaii", *(i for i in identifiers if i in text)} == _redacted(report)


async def test_one_prompt_carries_every_undecided_name_of_the_turn() -> None:
    device = _device("1. public\n2. private")
    scanner = _scanner(device, LOCATION="Hawaii|Tokyo")
    report = await _judged(scanner, "Compose a travel blog post about Hawaii and Tokyo.")
    assert len(device.calls) == 1
    assert _redacted(report) == {"Tokyo"}


async def test_a_verdict_holds_for_later_scans_without_asking_again() -> None:
    device = _device("1. public")
    scanner = _scanner(device, LOCATION="Hawaii")
    await _judged(scanner, TASK)
    # The tool loop and the summary rescan synchronously: the verdict still holds.
    again = scanner.scan(TurnRequest(text=TASK, session_id="s"), [])
    assert _redacted(again) == set() and len(device.calls) == 1
    await _judged(scanner, TASK)
    assert len(device.calls) == 1


async def test_judge_off_is_the_scan_as_before() -> None:
    scanner = Scanner(rules=build_rules([]), detectors=[span_detector(LOCATION="Hawaii")])
    request = TurnRequest(text=TASK, session_id="s")
    assert await scanner.scan_judged(request, []) == scanner.scan(request, [])
    assert _redacted(scanner.scan(request, [])) == {"Hawaii"}


async def test_a_turn_kept_local_is_not_judged() -> None:
    device = _device("1. public")
    scanner = _scanner(device, LOCATION="Hawaii", CREDIT_CARD="4111 1111 1111 1111")
    report = await _judged(scanner, TASK + " Card 4111 1111 1111 1111.")
    assert report.keep_local and device.calls == []


def _pipeline(device: Scripted, cloud: FunctionEndpoint | None) -> TurnPipeline:
    endpoints: dict[str, Endpoint] = {"local": device}
    if cloud is not None:
        endpoints["cloud"] = cloud
    judge = DeviceJudge(lambda: endpoints.get("local"))
    scanner = Scanner(
        rules=build_rules([]), detectors=[span_detector(LOCATION="Hawaii")], judge=judge
    )
    policy = PreferRemotePolicy() if cloud is not None else LocalOnlyPolicy()
    return make_pipeline(endpoints=endpoints, policy=policy, scanner=scanner)


@pytest.mark.parametrize(("verdict", "sent"), [("1. public", True), ("1. private", False)])
async def test_a_cloud_turn_carries_the_name_only_when_the_judge_says_public(
    verdict: str, sent: bool
) -> None:
    device = _device(verdict)
    cloud = FunctionEndpoint(lambda call: "Aloha!", name="cloud", kind="cloud")
    await collect(_pipeline(device, cloud), TASK)
    [request] = cloud.requests
    assert ("Hawaii" in request[-1].content) is sent
    assert len(device.calls) == 1  # the judge, on the device


async def test_with_no_off_device_endpoint_nothing_is_judged() -> None:
    device = _device("1. public")
    await collect(_pipeline(device, None), TASK)
    [answer] = device.calls  # the turn's own answer: no judge call before it
    assert answer.question == TASK


def test_the_setting_is_off_or_device_and_off_by_default(tandem_home: TandemPaths) -> None:
    assert PrivacySettings().judge == "off"
    assert scanner_for(load_settings(tandem_home)).judge is None
    tandem_home.config_file.write_text('[privacy]\njudge = "device"\n')
    judge = scanner_for(load_settings(tandem_home)).judge  # nothing to ask: names stay private
    assert isinstance(judge, DeviceJudge) and judge.device_model() is None
    with pytest.raises(ValidationError):
        PrivacySettings(judge="cloud")  # type: ignore[arg-type]


async def test_a_runtime_judges_with_its_own_device_model(tandem_home: TandemPaths) -> None:
    device = _device("1. public")
    runtime = build_runtime(tandem_home, endpoints={"local": device})
    try:
        assert runtime.pipeline.scanner.judge is None
        privacy = runtime.settings.privacy.model_copy(update={"judge": "device"})
        runtime.apply_settings(runtime.settings.model_copy(update={"privacy": privacy}))
        judge = runtime.pipeline.scanner.judge
        assert isinstance(judge, DeviceJudge) and judge.device_model() is device
        replacement = _device("1. private")
        runtime.pipeline.endpoints["local"] = replacement  # a model switch swaps it live
        assert judge.device_model() is replacement
    finally:
        await runtime.aclose()
