"""`tandem router profile` takes the chat's privacy path: what a rule keeps local never leaves.

A real runtime (the user's privacy rules, its egress policy) with a cloud endpoint
whose HTTP goes through the guarded client to a recording mock transport: the
bytes in `Cloud.sent` are exactly what would have left the device.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.cli import build_parser
from app.cli.router_profile import run_profile
from router.endpoints.fake import FakeEndpoint
from router.endpoints.openai_api import OpenAICompatEndpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.settings import RemoteEndpointSettings
from router.learn.profile import load_profile
from router.paths import TandemPaths
from router.privacy.guard import guarded_httpx_client
from router.runtime.compose import Runtime, build_runtime

CARD = "4111 1111 1111 1111"
EMAIL = "alice@example.org"
PROMPTS = [
    {"id": "card", "prompt": f"My card is {CARD}. What is 6 * 7?", "reference": "42"},
    {"id": "email", "prompt": f"Mail {EMAIL} the answer: what is 6 * 7?", "reference": "42"},
    {"id": "plain", "prompt": "What is 6 * 7?", "reference": "42"},
]
CLOUD = RemoteEndpointSettings(
    name="cloud", kind="cloud", api="openai", model="m", base_url="https://api.example/v1"
)


class Cloud:
    """An OpenAI-compatible server behind the mock transport; `sent` holds each request body."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.content)
        chunk = {"choices": [{"index": 0, "delta": {"content": "The answer is 42"}}]}
        body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    @property
    def wire(self) -> bytes:
        return b"\n".join(self.sent)


@pytest.fixture(autouse=True)
def _pattern_detectors_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_PRIVACY__NER", "false")  # spaCy takes long to load


@pytest.fixture
def cloud(tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """`build_runtime` as the CLI calls it, with the device faked and `Cloud` on the wire."""
    server = Cloud()

    def runtime_with_cloud() -> Runtime:
        device = FakeEndpoint(lambda _m: "The answer is 42", name="local", kind="local")
        runtime = build_runtime(tandem_home, endpoints={"local": device})
        # The guard shares the runtime's egress policy, as `build_remote_endpoint` wires it.
        client = guarded_httpx_client(
            runtime.pipeline.egress_policy, "cloud", transport=httpx.MockTransport(server)
        )
        runtime.pipeline.endpoints["cloud"] = OpenAICompatEndpoint(
            CLOUD, api_key=None, prices=PriceTable({}), http_client=client, close_client=True
        )
        return runtime

    monkeypatch.setattr("router.runtime.compose.build_runtime", runtime_with_cloud)
    yield server


def _profile(tmp_path: Path, *extra: str) -> tuple[Path, str]:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps(p) + "\n" for p in PROMPTS))
    out_file = tmp_path / "profile.jsonl"
    args = build_parser().parse_args(
        ["router", "profile", "--prompts", str(prompts), "--endpoints", "local,cloud",
         "--out", str(out_file), *extra]
    )  # fmt: skip
    out = io.StringIO()
    assert run_profile(args, out) == 0
    return out_file, out.getvalue()


def test_profile_never_sends_what_a_rule_keeps_local(cloud: Cloud, tmp_path: Path) -> None:
    out_file, _ = _profile(tmp_path)
    assert CARD.encode() not in cloud.wire and b"4111" not in cloud.wire
    assert EMAIL.encode() not in cloud.wire and b"alice" not in cloud.wire
    assert len(cloud.sent) == 2  # the card prompt is not sent at all
    records = {r.id: r for r in load_profile(out_file)}
    assert set(records["card"].endpoints) == {"local"}  # profiled on the device only
    assert set(records["email"].endpoints) == {"local", "cloud"}
    assert records["email"].endpoints["cloud"].quality == 1.0


def test_profile_sends_redacted_prompts_with_placeholders(cloud: Cloud, tmp_path: Path) -> None:
    _profile(tmp_path)
    (email_request,) = [body for body in cloud.sent if b"Mail " in body]
    assert b"[EMAIL_ADDRESS_1]" in email_request


def test_profile_records_what_left_and_says_what_stayed(cloud: Cloud, tmp_path: Path) -> None:
    out_file, said = _profile(tmp_path)
    record = out_file.with_name("profile.sent.jsonl")
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(r["id"], r["endpoint"], r["purpose"]) for r in lines] == [
        ("email", "cloud", "answer"),
        ("plain", "cloud", "answer"),
    ]
    assert EMAIL not in record.read_text() and CARD not in record.read_text()
    assert "[EMAIL_ADDRESS_1]" in lines[0]["messages"][0]["content"]
    assert "1 prompt kept on the device" in said and "1 sent redacted" in said
    assert str(record) in said


def test_an_off_device_judge_never_sees_a_kept_local_prompt(cloud: Cloud, tmp_path: Path) -> None:
    out_file, said = _profile(tmp_path, "--judge", "cloud")
    assert b"4111" not in cloud.wire and b"alice" not in cloud.wire
    # The card prompt cannot be judged off the device, so it is left out entirely.
    assert {r.id for r in load_profile(out_file)} == {"email", "plain"}
    assert "not profiled" in said
