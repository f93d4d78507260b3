"""The stop machinery itself: the deadline, a second signal, SIGTERM as Ctrl-C, winding down."""

from __future__ import annotations

import asyncio
import io
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.gui.main import _wind_down, close_desktop
from app.shutdown import Stopper, input_line
from router.endpoints.base import TokenDelta
from router.ledger.store import Ledger
from router.paths import TandemPaths
from router.runtime.compose import build_runtime
from router.types import TurnRequest, new_id

WAIT_S = 30.0


class Exits:
    """Stands in for `os._exit`: records the codes, and says when one came."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.came = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.came.set()


@pytest.fixture
def exits() -> Exits:
    return Exits()


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_deadline_exits_after_the_last_words(exits: Exits) -> None:
    said: list[str] = []
    stopper = Stopper(grace_s=0.05, exit_now=exits)
    stopper.add_last_words(lambda: said.append("turns marked interrupted"))
    stopper.add_last_words(lambda: 1 / 0)  # a failing last word does not stop the exit
    assert stopper.request(signal.SIGTERM) is True
    assert stopper.stopping
    assert exits.came.wait(WAIT_S)
    assert exits.codes == [128 + signal.SIGTERM]
    assert said == ["turns marked interrupted"]


def test_a_second_signal_exits_at_once(exits: Exits) -> None:
    stopper = Stopper(grace_s=3600, exit_now=exits)
    assert stopper.request(signal.SIGTERM) is True
    assert exits.codes == []
    assert stopper.request(signal.SIGINT) is False
    assert exits.codes == [128 + signal.SIGINT]
    stopper.finish(0)  # also ends the deadline's timer


def test_finish_leaves_only_after_a_stop_signal(exits: Exits) -> None:
    stopper = Stopper(grace_s=3600, exit_now=exits)
    stopper.finish(0)
    assert exits.codes == []  # an ordinary end: the interpreter exits as usual
    stopper.request(signal.SIGTERM)
    stopper.finish(0)
    assert exits.codes == [0]


async def test_a_signal_in_the_loop_asks_the_front_end_to_stop(
    exits: Exits, keep_signal_handlers: None
) -> None:
    stopper = Stopper(grace_s=3600, exit_now=exits)
    loop = asyncio.get_running_loop()
    asked = asyncio.Event()
    stopper.listen(loop, asked.set)
    try:
        signal.raise_signal(signal.SIGTERM)
        await asyncio.wait_for(asked.wait(), WAIT_S)
        assert stopper.signum == signal.SIGTERM and exits.codes == []
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stopper.finish(0)


def test_sigterm_does_what_ctrl_c_does(exits: Exits, keep_signal_handlers: None) -> None:
    stopper = Stopper(grace_s=3600, exit_now=exits)
    stopper.sigterm_as_ctrl_c()
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGTERM)
    assert stopper.signum == signal.SIGTERM
    stopper.finish(0)


def test_input_line_reads_like_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first line\n"))
    assert input_line("you> ") == "first line"
    with pytest.raises(EOFError):
        input_line("you> ")


def test_ctrl_c_while_the_prompt_starts_is_a_stop_too(
    monkeypatch: pytest.MonkeyPatch, exits: Exits
) -> None:
    # The reader thread may print the prompt before Thread.start() returns on the main
    # thread; a Ctrl-C that lands there must still make the exit go through the stopper
    # (a plain interpreter exit aborts on the reader's stdin lock).
    stopper = Stopper(grace_s=3600, exit_now=exits)
    monkeypatch.setattr("app.shutdown.STOPPER", stopper)
    monkeypatch.setattr("sys.stdin", io.StringIO("a line nobody reads\n"))
    real_start = threading.Thread.start

    def start_then_interrupted(thread: threading.Thread) -> None:
        real_start(thread)
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", start_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        input_line("you> ")
    assert stopper.signum == signal.SIGINT
    stopper.finish(0)
    assert exits.codes == [0]


async def test_winding_down_ends_the_turn_in_flight_and_closes_the_runtime(
    tandem_home: TandemPaths, endless_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_GENERATION__MAX_TOKENS", "1000000")
    monkeypatch.setenv("TANDEM_LOCAL__N_CTX", "8192")
    runtime = build_runtime(model=str(endless_gguf))
    streaming = asyncio.Event()

    async def chat() -> None:
        request = TurnRequest(text="go on forever", session_id=new_id())
        async for event in runtime.pipeline.run_turn(request):
            if isinstance(event, TokenDelta):
                streaming.set()

    turn = asyncio.create_task(chat())
    await asyncio.wait_for(streaming.wait(), WAIT_S)
    await _wind_down(runtime)
    assert turn.cancelled()
    with pytest.raises(sqlite3.ProgrammingError):  # closed
        runtime.ledger.sessions()
    ledger = Ledger(runtime.paths.ledger_file)
    assert ledger.recovered == 0  # nothing was left in progress
    [session] = ledger.sessions()
    [recorded] = ledger.turns(session.id)
    assert recorded.status == "cancelled" and recorded.answer
    ledger.close()


class _Window:
    def __init__(self, on_destroy: Any) -> None:
        self.on_destroy = on_destroy

    async def destroy(self) -> None:
        self.on_destroy()


class _Page:
    def __init__(self, on_destroy: Any) -> None:
        self.window = _Window(on_destroy)


async def test_a_desktop_stop_closes_the_windows() -> None:
    window_closed = asyncio.Event()
    app = asyncio.create_task(window_closed.wait())  # Flet's run ends with its window
    await close_desktop([_Page(window_closed.set)], app)  # type: ignore[list-item]
    assert app.done() and not app.cancelled()


async def test_a_desktop_stop_without_a_window_cancels_flets_run() -> None:
    def refuse() -> None:
        raise RuntimeError("the page is gone")

    app = asyncio.create_task(asyncio.Event().wait())
    await close_desktop([_Page(refuse)], app)  # type: ignore[list-item]
    with pytest.raises(asyncio.CancelledError):
        await app
