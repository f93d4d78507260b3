"""One local model worker process, seen from the app: start it, talk to it, notice its death.

The worker (`llama_worker`) is a child Python process on one end of a
socketpair. A reader thread here receives its messages and hands each to the
request or generation waiting for it; when the socket closes without a
goodbye, the worker is dead, and everything waiting on it fails with the
reason (the signal that killed it, its exit code, or the hang that made the
app kill it).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import router
from router.endpoints import llama_protocol as proto
from router.errors import LocalModelCrashedError, ModelLoadError

Sink = Callable[[tuple[Any, ...]], None]
"""Receives a generation's messages (TOKEN, STARTED, END, SCORED, ERROR), on the reader thread."""

DIED = "died"
"""Kind of the message a sink gets when the worker died under its job: (DIED, 0, message)."""

_ids = itertools.count(1)


def next_id() -> int:
    """A fresh id for a request or a generation (one sequence: their replies share a channel)."""
    return next(_ids)


_spawns: queue.Queue[tuple[Callable[[], subprocess.Popen[bytes]], Future[Any]]] = queue.Queue()
_spawner_lock = threading.Lock()
_spawner: threading.Thread | None = None


def _spawner_loop() -> None:
    while True:
        launch, done = _spawns.get()
        try:
            done.set_result(launch())
        except BaseException as exc:
            done.set_exception(exc)


def _spawn(argv: list[str], fd: int, log: Any, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a worker from one thread that lives as long as the app.

    Linux delivers a child's parent-death signal when the *thread* that
    started it ends, so a worker started from a short-lived thread (a restart,
    `asyncio.to_thread`) would be killed with it.
    """
    global _spawner
    with _spawner_lock:
        if _spawner is None or not _spawner.is_alive():
            _spawner = threading.Thread(target=_spawner_loop, name="llama-spawner", daemon=True)
            _spawner.start()
    done: Future[subprocess.Popen[bytes]] = Future()

    def launch() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv, pass_fds=[fd], stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env
        )

    _spawns.put((launch, done))
    return done.result()


def describe_exit(returncode: int | None) -> str:
    """How a worker ended, in words: `SIGSEGV`, `SIGKILL, perhaps out of memory`, `exit code 3`."""
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"{name}, perhaps out of memory" if name == "SIGKILL" else name
    return f"exit code {returncode}"


class WorkerProcess:
    """A running worker: its process, its socket, and who waits on it."""

    def __init__(self, request: proto.LoadRequest, log_file: Path | None) -> None:
        """Prepare a worker for `request`; `start` launches it. Its stderr goes to `log_file`."""
        self.request = request
        self.log_file = log_file
        self.info: proto.LoadedInfo | None = None
        self.on_death: Callable[[WorkerProcess, str], str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._send_lock = threading.Lock()
        self._waiting: dict[int, Future[Any]] = {}
        self._sinks: dict[int, Sink] = {}
        self._state_lock = threading.Lock()
        self._kill_reason: str | None = None
        self._closing = False
        self.dead = threading.Event()
        self.death: str | None = None

    @property
    def pid(self) -> int | None:
        """The worker's process id, once started."""
        return self._proc.pid if self._proc else None

    @property
    def alive(self) -> bool:
        """True while the worker runs and has not been asked to stop."""
        return self._proc is not None and not self.dead.is_set() and not self._closing

    def start(self, timeout_s: float) -> proto.LoadedInfo:
        """Launch the worker and load the model (blocking); raises if it cannot."""
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        # The worker imports Tandem's own modules, wherever Tandem is installed from.
        root = str(Path(router.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH", "")]))
        log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._proc = _spawn(
                [
                    sys.executable,
                    "-m",
                    "router.endpoints.llama_worker",
                    str(theirs.fileno()),
                    str(os.getpid()),
                ],
                theirs.fileno(),
                log,
                env,
            )
        finally:
            theirs.close()
            if not isinstance(log, int):
                log.close()
        self._conn = Connection(ours.detach())
        self._conn.send((proto.LOAD, self.request))
        reply: Future[Any] = Future()
        self._waiting[0] = reply
        threading.Thread(target=self._read, name=f"llama-worker-{self.pid}", daemon=True).start()
        try:
            self.info = reply.result(timeout=timeout_s)
        except TimeoutError:
            self._closing = True
            self.kill(f"it took more than {timeout_s:.0f} s to load the model")
            self.dead.wait(10)
            raise LocalModelCrashedError(
                f"the local model worker stopped: {self.death or 'it hung'} while loading",
                "a model this large may need more memory, or a smaller GGUF",
            ) from None
        except BaseException:
            self._closing = True  # a failed start is reported here, not as a crash later
            self.kill("its load failed")
            raise
        return self.info

    # -- requests ----------------------------------------------------------------------

    def _send(self, message: tuple[Any, ...]) -> None:
        if self._conn is None or self.dead.is_set():
            raise LocalModelCrashedError(
                f"the local model worker is not running ({self.death or 'not started'})",
                "ask again: Tandem restarts it",
            )
        with self._send_lock:
            try:
                self._conn.send(message)
            except OSError as exc:
                raise LocalModelCrashedError(
                    f"the local model worker went away ({exc})", "ask again: Tandem restarts it"
                ) from exc

    def call(self, kind: str, *args: Any, timeout_s: float = 30.0) -> Any:
        """Send a request and wait for its answer (tokenize, stats, selftest)."""
        req_id = next_id()
        reply: Future[Any] = Future()
        with self._state_lock:
            if self.dead.is_set():
                raise LocalModelCrashedError(
                    f"the local model worker stopped ({self.death})", "ask again"
                )
            self._waiting[req_id] = reply
        self._send((kind, req_id, *args))
        try:
            return reply.result(timeout=timeout_s)
        except TimeoutError:
            self._waiting.pop(req_id, None)
            raise

    def submit(self, job: proto.GenerateRequest, sink: Sink) -> None:
        """Start a generation; its messages go to `sink` until END, SCORED, ERROR or DIED."""
        with self._state_lock:
            if self.dead.is_set():
                raise LocalModelCrashedError(
                    f"the local model worker stopped ({self.death})", "ask again"
                )
            self._sinks[job.job_id] = sink
        self._send((proto.GENERATE, job))

    def cancel(self, job_id: int) -> None:
        """Ask the worker to stop a generation within a token (no-op if it is gone)."""
        with contextlib.suppress(LocalModelCrashedError):
            self._send((proto.CANCEL, job_id))

    # -- ending ------------------------------------------------------------------------

    def kill(self, reason: str) -> None:
        """Kill the worker now (a hang); everyone waiting learns `reason`."""
        self._kill_reason = reason
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the worker: politely, then by force. Blocking; safe to call twice."""
        self._closing = True
        if self._proc is None:
            return
        with contextlib.suppress(LocalModelCrashedError):
            self._send((proto.CLOSE,))
        try:
            self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=timeout_s)
        self.dead.wait(timeout_s)

    def _read(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            self._dispatch(message)
        self._died()

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind, ident = message[0], message[1]
        sink = self._sinks.get(ident)
        if sink is not None:
            if kind in (proto.END, proto.SCORED, proto.ERROR):
                self._sinks.pop(ident, None)
            sink(message)
            return
        waiting = self._waiting.pop(ident, None)
        if waiting is None:
            return  # an answer nobody waits for any more (it timed out)
        if kind == proto.ERROR:
            error = message[2]
            waiting.set_exception(
                ModelLoadError(
                    f"llama.cpp could not load {self.request.path} ({error})",
                    "the file may be for an architecture this llama.cpp does not support, "
                    "or too large for memory; try another GGUF",
                )
                if ident == 0
                else LocalModelCrashedError(f"the local model failed: {error}", "ask again")
            )
        else:
            waiting.set_result(message[2])

    def _died(self) -> None:
        proc = self._proc
        assert proc is not None
        try:
            code: int | None = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        with self._state_lock:
            self.death = self._kill_reason or describe_exit(code)
            self.dead.set()
            waiting, self._waiting = self._waiting, {}
            sinks, self._sinks = self._sinks, {}
        if self._closing and not waiting and not sinks:
            return
        message = f"the local model crashed ({self.death})"
        if self.on_death is not None and not self._closing:
            message = self.on_death(self, self.death)
        for future in waiting.values():
            future.set_exception(LocalModelCrashedError(message, "ask again"))
        for sink in sinks.values():
            sink((DIED, 0, message))
