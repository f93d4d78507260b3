"""Stopping a front end on SIGTERM or SIGINT: promptly, cleanly, and for certain.

The GUI (desktop or web), `tandem chat`, `tandem edge serve` and `tandem mcp serve` all stop
the same way:

1. The first SIGTERM or SIGINT asks the front end to stop. It stops taking work, cancels the
   turns in flight (the pipeline records each as cancelled), closes its runtime (endpoints and
   their model worker, memory index, ledger) and returns.
2. The same signal starts a deadline, `STOP_GRACE_S`. Nothing can hold the process past it,
   neither a library thread that never returns nor a client that never lets go: the turns this
   process still has open are marked interrupted in the ledger ("last words") and the process
   exits at once with 128 + the signal's number, as a shell reports a death by signal. A
   second signal does the same without waiting.
3. Once the front end has closed what it owns, `finish` ends the process with its exit code
   right away: threads that libraries leave behind (Flet's thread pool, a thread blocked
   reading stdin) would otherwise keep the interpreter from exiting.

Signals belong to the whole process, so there is one `Stopper`, `STOPPER`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

STOP_GRACE_S = 5.0
"""How long a front end gets, from the first stop signal, before the process exits anyway."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_INPUT_POLL_S = 0.2

_log = logging.getLogger(__name__)


class Stopper:
    """Turns stop signals into a graceful stop, made certain by a deadline (module docstring).

    `exit_now` ends the process (`os._exit`; tests pass a recorder).
    """

    def __init__(
        self, *, grace_s: float = STOP_GRACE_S, exit_now: Callable[[int], object] = os._exit
    ) -> None:
        self.grace_s = grace_s
        self._exit_now = exit_now
        self._last_words: list[Callable[[], object]] = []
        self._deadline: threading.Timer | None = None
        self._lock = threading.RLock()  # a second signal may land while the first is noted
        self.signum: int | None = None
        """The first stop signal received, or None while running normally."""

    @property
    def stopping(self) -> bool:
        """True once a stop signal has come."""
        return self.signum is not None

    def add_last_words(self, action: Callable[[], object]) -> None:
        """Run `action` just before a forced exit (it may run on the deadline's thread).

        For what must not be lost when the graceful stop does not finish in time, such as
        marking the ledger's open turns interrupted (`Ledger.interrupt_open_turns`).
        """
        self._last_words.append(action)

    def request(self, signum: int) -> bool:
        """Note stop signal `signum`; True for the first (stop now, gracefully).

        The first starts the deadline; a later one forces the exit at once (and does not return).
        """
        with self._lock:
            first = self.signum is None
            if first:
                self.signum = signum
                self._deadline = threading.Timer(self.grace_s, self.force, (signum,))
                self._deadline.daemon = True  # must never itself hold the exit
                self._deadline.start()
        if not first:
            self.force(signum)
        return first

    def force(self, signum: int) -> None:
        """Exit now with 128 + `signum`, after the last words; for a stop that did not finish."""
        print("tandem: did not stop in time; exiting now", file=sys.stderr, flush=True)
        for action in list(self._last_words):
            try:
                action()
            except Exception:  # the exit must happen whatever a last word does
                _log.exception("could not finish %r before exiting", action)
        _flush()
        self._exit_now(128 + signum)

    def finish(self, code: int) -> None:
        """After a graceful stop, exit with `code` now; does nothing when no stop signal came."""
        if self.signum is None:
            return
        if self._deadline is not None:
            self._deadline.cancel()
        _flush()
        self._exit_now(code)

    def listen(self, loop: asyncio.AbstractEventLoop, on_stop: Callable[[], object]) -> None:
        """Handle SIGTERM and SIGINT in `loop`: the first calls `on_stop`, a second forces exit.

        Replaces any handler installed before (Flet's, uvicorn's); call from the main thread.
        """
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig, on_stop)

    def _on_signal(self, signum: int, on_stop: Callable[[], object]) -> None:
        if self.request(signum):
            on_stop()

    def raise_keyboard_interrupt(self) -> None:
        """Make SIGTERM and SIGINT raise KeyboardInterrupt, after starting the deadline.

        For front ends whose way out is Ctrl-C's (`tandem edge serve`, `tandem mcp serve` over
        HTTP): uvicorn takes both signals while it serves and raises them again once it has
        shut down, which then lands here.
        """

        def interrupt(signum: int, frame: FrameType | None) -> None:
            self.request(signum)
            raise KeyboardInterrupt

        _on_main_thread(lambda: [signal.signal(sig, interrupt) for sig in STOP_SIGNALS])

    def sigterm_as_ctrl_c(self) -> None:
        """Make SIGTERM do what Ctrl-C does at that moment, after starting the deadline.

        For `tandem chat`: at the prompt Ctrl-C quits; during an answer asyncio's handler
        cancels the turn (recorded as cancelled), and the chat sees `stopping` and quits too.
        """

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            self.request(signum)
            ctrl_c = signal.getsignal(signal.SIGINT)
            if callable(ctrl_c):
                ctrl_c(signal.SIGINT, frame)
            else:
                raise KeyboardInterrupt

        _on_main_thread(lambda: signal.signal(signal.SIGTERM, on_sigterm))


def input_line(prompt: str) -> str:
    """`input(prompt)`, but a stop signal is handled at once even while it waits.

    Python runs signal handlers on the main thread only, between bytecodes, and a signal may be
    taken by any thread: one that another thread took (the model worker's threads are many)
    does not wake a main thread blocked in `input()`, which then sleeps through a SIGTERM. So
    the line is read on a helper thread while the main thread waits in short steps.
    Raises what `input` raises (EOFError at the end of input); a handler's KeyboardInterrupt
    comes from the wait, and makes the process's exit go through `STOPPER.finish`.
    """
    line: list[str] = []
    failed: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            line.append(input(prompt))
        except BaseException as exc:  # handed to the main thread, which raises it
            failed.append(exc)
        finally:
            done.set()

    reader = threading.Thread(target=read, name="tandem-input", daemon=True)
    try:
        # Inside the try: the reader may print the prompt (and a signal arrive) before
        # start() returns here, and that signal must be a stop too.
        reader.start()
        while not done.wait(_INPUT_POLL_S):
            pass
    except KeyboardInterrupt:
        # The read goes on and holds stdin's lock, and an interpreter exit that meets it
        # aborts ("could not acquire lock for <stdin> at interpreter shutdown"): so Ctrl-C
        # here is a stop, and the process leaves through `STOPPER.finish`.
        if not STOPPER.stopping:
            STOPPER.request(signal.SIGINT)
        raise
    if failed:
        raise failed[0]
    return line[0]


def _on_main_thread(install: Callable[[], object]) -> None:
    # Python lets only the main thread set signal handlers; elsewhere (a test calling a front
    # end from a worker thread) the default handling stays.
    if threading.current_thread() is threading.main_thread():
        install()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or gone: nothing to save
            stream.flush()
    for handler in logging.getLogger().handlers:
        handler.flush()


STOPPER = Stopper()
"""The process's stopper: signals are process-wide, and so is the deadline."""
