"""The edge server's parts on their own: stop sequences, the queue, the banner."""

from __future__ import annotations

import asyncio
import inspect
import socket
import tomllib

import pytest

from app.cli import build_parser
from router.edge.engine import ApiError, Gate, StopScanner
from router.edge.server import banner, bind, create_app, is_loopback, serve
from router.endpoints.settings import RemoteEndpointSettings
from router.errors import TandemError
from router.types import zone_of


def _feed_all(scanner: StopScanner, pieces: list[str]) -> tuple[str, str | None]:
    shown = []
    for piece in pieces:
        text, stop = scanner.feed(piece)
        shown.append(text)
        if stop is not None:
            return "".join(shown), stop
    return "".join(shown) + scanner.flush(), None


def test_stop_sequence_split_over_tokens_is_found_and_never_shown() -> None:
    assert _feed_all(StopScanner(["END"]), ["hello E", "N", "D more"]) == ("hello ", "END")
    assert _feed_all(StopScanner(["zz", "lo"]), ["hel", "lo zz"]) == ("hel", "lo")
    assert _feed_all(StopScanner(["END"]), ["no E", "nd here"]) == ("no End here", None)
    assert _feed_all(StopScanner([]), ["a", "b"]) == ("ab", None)


async def test_gate_runs_one_admits_max_queue_more_and_refuses_the_rest() -> None:
    gate = Gate(max_queue=2)
    first, second, third = gate.admit(), gate.admit(), gate.admit()
    with pytest.raises(ApiError) as caught:
        gate.admit()
    assert caught.value.status == 529 and caught.value.type == "overloaded_error"
    assert first.turn.done() and not second.turn.done() and not third.turn.done()
    second.release()  # its client left while waiting: its place goes
    fourth = gate.admit()
    first.release()
    assert third.turn.done() and not fourth.turn.done()  # first come, first served
    third.release()
    third.release()  # releasing twice is harmless
    assert fourth.turn.done()
    fourth.release()
    assert gate.inflight == 0
    assert (await asyncio.wait_for(gate.admit().turn, 1)) is None  # free again at once


async def test_zero_queue_means_nobody_waits() -> None:
    gate = Gate(max_queue=0)
    gate.admit()
    with pytest.raises(ApiError):
        gate.admit()


def test_banner_snippet_is_valid_tandem_config_without_the_key() -> None:
    text = banner("127.0.0.1", 8642, "tandem-edge", "super-secret-key", 4096)
    snippet = text[text.index("[[endpoints]]") :]
    endpoint = RemoteEndpointSettings(**tomllib.loads(snippet)["endpoints"][0])
    assert endpoint.kind == "edge" and endpoint.api == "anthropic"
    assert endpoint.base_url == "http://127.0.0.1:8642" and endpoint.model == "tandem-edge"
    assert endpoint.context_window == 4096
    assert "super-secret-key" not in text and "WARNING" not in text
    # Being one of the user's devices is theirs to say: offered, commented out.
    assert not endpoint.mine
    mine = RemoteEndpointSettings(
        **tomllib.loads(snippet.replace("# mine", "mine"))["endpoints"][0]
    )
    assert zone_of(mine.kind, mine.mine) == "mine"


def test_warns_when_listening_beyond_loopback_without_a_key() -> None:
    assert "WARNING" in banner("0.0.0.0", 8642, "m", None, 4096)
    assert "WARNING" not in banner("0.0.0.0", 8642, "m", "k", 4096)
    assert "WARNING" not in banner("127.0.0.1", 8642, "m", None, 4096)
    hosts = ("127.0.0.1", "::1", "localhost", "0.0.0.0", "192.168.1.2")
    assert [is_loopback(h) for h in hosts] == [True, True, True, False, False]


def test_binds_loopback_by_default_with_a_4_mib_body_limit() -> None:
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert build_parser().parse_args(["edge", "serve"]).host == "127.0.0.1"
    assert inspect.signature(create_app).parameters["max_body_bytes"].default == 4 << 20


def test_listening_socket_turns_nagle_off() -> None:
    # Without TCP_NODELAY every event after the first on a kept-alive connection
    # waited for the client's delayed ACK (about 40 ms each).
    with bind("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_a_busy_port_is_a_clear_error() -> None:
    with bind("127.0.0.1", 0) as taken, pytest.raises(TandemError, match="cannot listen"):
        taken.listen()
        bind("127.0.0.1", taken.getsockname()[1]).close()
