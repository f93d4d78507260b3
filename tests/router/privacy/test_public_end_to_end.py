"""Public names reach the cloud intact, the user's own people and streets do not.

The real path: NER and the other detectors, the shipped rules, the anthropic SDK
and the egress guard, against a loopback server that records what it receives.
"""

from pathlib import Path

import pytest

from router.paths import TandemPaths
from router.privacy.judge import NameJudge
from router.runtime.compose import Runtime, build_runtime
from router.turn.events import RouteChosen
from router.turn.name_judge import DeviceJudge
from tests.support.fault_server import FaultServer
from tests.support.pipeline import collect


def _runtime(
    home: TandemPaths, url: str, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, judge: str
) -> Runtime:
    monkeypatch.setenv("TANDEM_LOCAL__MODEL", str(tiny_gguf))
    monkeypatch.setenv("CLOUD_KEY", "sk-ant-api03-public-names-test-key-00000000000")
    home.config_file.write_text(
        f'[privacy]\njudge = "{judge}"\n'
        '[routing]\npolicy = "prefer_remote"\n[generation]\nmax_tokens = 8\n'
        f'[[endpoints]]\nname = "cloud"\nkind = "cloud"\napi = "anthropic"\n'
        f'model = "claude-haiku-4-5"\nbase_url = "{url}"\napi_key_env = "CLOUD_KEY"\n'
    )
    return build_runtime(home)


async def _sent(
    home: TandemPaths, tiny_gguf: Path, mp: pytest.MonkeyPatch, text: str, judge: str = "off"
) -> tuple[str, NameJudge | None]:
    """What the recording cloud received for one turn, decoded, and the scanner's judge."""
    async with FaultServer(["ok"]) as server:
        runtime = _runtime(home, server.url, tiny_gguf, mp, judge)
        events = await collect(runtime.pipeline, text, session_id="s")
        await runtime.aclose()
    route = events[0]
    assert isinstance(route, RouteChosen) and route.decision.endpoint == "cloud"
    assert server.requests == 1
    return b"".join(server.bodies).decode("unicode_escape"), runtime.pipeline.scanner.judge


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What is the capital of France? One word.", ["France"]),
        (
            "Who wrote Pride and Prejudice, and what did Barack Obama say about it?",
            ["Pride and Prejudice", "Barack Obama"],
        ),
    ],
)
async def test_a_question_about_public_names_reaches_the_cloud_intact(
    tandem_home: TandemPaths,
    tiny_gguf: Path,
    monkeypatch: pytest.MonkeyPatch,
    question: str,
    names: list[str],
) -> None:
    sent, _ = await _sent(tandem_home, tiny_gguf, monkeypatch, question)
    assert question in sent
    for name in names:
        assert name in sent


async def test_the_users_neighbour_and_street_do_not_leave(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "How do I ask my neighbour Tom Hargreaves at 14 Elm Road to move his car?"
    sent, _ = await _sent(tandem_home, tiny_gguf, monkeypatch, question)
    for private in ("Tom", "Hargreaves", "14 Elm Road", "Elm Road"):
        assert private not in sent
    assert "[PERSON_1, a neighbour]" in sent and "[STREET_ADDRESS_1]" in sent


async def test_the_device_judge_runs_on_the_real_model_and_its_babble_keeps_names_private(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiny random model answers nonsense: parsed safely, so the name stays private."""
    question = "Compose a travel blog post about Hawaii."
    sent, judge = await _sent(tandem_home, tiny_gguf, monkeypatch, question, judge="device")
    assert isinstance(judge, DeviceJudge) and judge.calls == 1 and judge.failures == 0
    assert "Hawaii" not in sent and "[LOCATION_1" in sent
