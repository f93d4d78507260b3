"""Pipeline privacy tests: keep-local values never reach an off-device request's bytes."""

import asyncio
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.endpoints.fake import FakeEndpoint
from router.endpoints.function import FunctionEndpoint
from router.ledger.store import Ledger
from router.policy.decide import PreferRemotePolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.guard import EgressPolicy
from router.privacy.scan import Scanner
from router.turn.events import FallbackStarted
from router.turn.pipeline import TurnPipeline
from router.types import Attachment, GenerationOptions, Message, ToolResult, TurnRequest
from tests.router.privacy.test_scan import NAMES, fake_detect
from tests.support.pipeline import collect, finished, make_pipeline
from tests.support.wire import Wire, through_the_wire

CARDS = ("4111 1111 1111 1111", "5500 0000 0000 0004")
KEYS = ("sk-abcdefghijklmnopqrstuv", "sk-ZYXWVUTSRQPONMLKJIHGF123")
EMAILS = ("alice@example.org", "bob.j@mail.test")
WORDS = ("hello", "please", "summarize", "the", "plan", "for", "today", "thanks", "what", "next")


class ScriptedLedger(Ledger):
    """A ledger whose history is whatever the test says (tool results, summaries...)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.scripted: list[Message] = []

    def history(self, session_id: str) -> list[Message]:
        return list(self.scripted)


def _pipeline(tmp: Path) -> tuple[TurnPipeline, Wire, ScriptedLedger]:
    policy = EgressPolicy()
    cloud = Wire(policy)
    ledger = ScriptedLedger(tmp / "ledger.sqlite")
    pipeline = make_pipeline(
        ledger,
        endpoints={
            "local": FakeEndpoint(name="local"),
            "cloud": FunctionEndpoint(through_the_wire(cloud), name="cloud", kind="cloud"),
        },
        policy=PreferRemotePolicy(),
        generation=GenerationOptions(max_tokens=200),
        system_prompt="be brief",
        scanner=Scanner(detectors=[FunctionDetector(fake_detect)]),
        egress_policy=policy,
    )
    return pipeline, cloud, ledger


def test_keep_local_turn_goes_local_with_prefer_remote(tmp_path: Path) -> None:
    pipeline, cloud, _ = _pipeline(tmp_path)
    events = asyncio.run(collect(pipeline, f"my card {CARDS[0]}", session_id="s"))
    route = finished(events).turn.route
    assert route is not None and route.endpoint == "local"
    assert route.reason == "kept local: contains a card number"
    assert cloud.sent == []


def test_redacted_turn_sends_placeholders_and_restores_the_answer(tmp_path: Path) -> None:
    pipeline, cloud, ledger = _pipeline(tmp_path)
    ledger.scripted = [
        Message(role="user", content="earlier: Bob Jones"),
        Message(role="assistant", content="ok"),
    ]
    text = f"write to {NAMES[0]} at {EMAILS[0]}"
    turn = finished(asyncio.run(collect(pipeline, text, session_id="s"))).turn
    assert turn.route is not None and turn.route.endpoint == "cloud"
    assert turn.route.reason.startswith("redacted then sent: ")
    assert set(turn.route.redactions) == {"PERSON", "EMAIL_ADDRESS"}
    wire = b"".join(cloud.sent)
    assert b"[PERSON_1]" in wire and b"[PERSON_2]" in wire
    for value in (NAMES[0], EMAILS[0], "Bob Jones"):
        assert value.encode() not in wire
    assert turn.answer == f"echo: {text}"  # the user sees the originals back
    stored = ledger.turns("s")[-1]
    assert stored.answer == f"echo: {text}"


def test_a_guard_block_falls_back_to_the_device(tmp_path: Path) -> None:
    pipeline, cloud, _ = _pipeline(tmp_path)
    # A value the scan did not flag, protected by hand: the guard is the backstop.
    pipeline.scanner = Scanner(detectors=[FunctionDetector(lambda text: [])])
    with pipeline.egress_policy.protect(["launch code 1234-5678"]):
        events = asyncio.run(collect(pipeline, "launch code 1234-5678", session_id="s"))
    assert any(isinstance(e, FallbackStarted) for e in events)
    route = finished(events).turn.route
    assert route is not None and route.endpoint == "local"
    assert cloud.sent == []


_secret = st.sampled_from((*CARDS, *KEYS, *EMAILS, *NAMES))
_place = st.sampled_from(("prompt", "history", "assistant", "attachment", "tool_result", "summary"))
_filler = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


def _conversation(
    tmp: Path, placed: list[tuple[str, str]], filler: str
) -> tuple[TurnRequest, list[Message]]:
    prompt, history, attachments = (
        filler,
        [Message(role="system", content="Summary: " + filler)],
        [],
    )
    for i, (value, place) in enumerate(placed):
        if place == "prompt":
            prompt += f" {value}"
        elif place == "attachment":
            path = tmp / f"file{i}.txt"
            path.write_text(f"{filler} {value}\n")
            attachments.append(
                Attachment(name=path.name, mime_type="text/plain", size_bytes=1, path=str(path))
            )
        elif place == "tool_result":
            history.append(
                Message(
                    role="user",
                    content=filler,
                    tool_results=(ToolResult(call_id="c", content=f"got {value}"),),
                )
            )
        elif place == "summary":
            history.append(Message(role="system", content=f"Summary: {value}"))
        else:
            history.append(
                Message(
                    role="user" if place == "history" else "assistant", content=f"{filler} {value}"
                )
            )
    return TurnRequest(text=prompt, session_id="s", attachments=tuple(attachments)), history


@settings(
    max_examples=1200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    placed=st.lists(st.tuples(_secret, _place), min_size=1, max_size=4),
    filler=_filler,
    n=st.integers(0, 10**9),
)
def test_no_sensitive_value_ever_leaves(
    tmp_path_factory: object, placed: list[tuple[str, str]], filler: str, n: int
) -> None:
    tmp = Path(str(tmp_path_factory.mktemp("inv")))  # type: ignore[attr-defined]
    pipeline, cloud, ledger = _pipeline(tmp)
    request, ledger.scripted = _conversation(tmp, placed, filler)
    events = asyncio.run(collect(pipeline, request.model_copy(update={"session_id": f"s{n}"})))
    turn = finished(events).turn
    wire = b"".join(cloud.sent)
    for value, _ in placed:
        for form in (value, json.dumps(value)[1:-1]):
            assert form.encode() not in wire
    assert turn.status == "complete"
    ledger.close()


@settings(
    max_examples=800,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(filler=_filler, turns=st.integers(1, 3))
def test_clean_conversations_are_sent_and_not_blocked(
    tmp_path_factory: object, filler: str, turns: int
) -> None:
    tmp = Path(str(tmp_path_factory.mktemp("clean")))  # type: ignore[attr-defined]
    pipeline, cloud, ledger = _pipeline(tmp)
    ledger.scripted = [
        Message(role="user", content=filler),
        Message(role="assistant", content="ok"),
    ] * turns
    events = asyncio.run(collect(pipeline, filler, session_id="s"))
    route = finished(events).turn.route
    assert route is not None and route.endpoint == "cloud"
    assert len(cloud.sent) == 1 and pipeline.egress_policy.blocked == 0
    ledger.close()
