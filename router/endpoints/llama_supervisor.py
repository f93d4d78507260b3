"""Keeps one model's worker process running, on CPU settings that work here.

`LocalModelHost` starts the worker (`llama_process.WorkerProcess`), runs the
first-run self-test down the `llama_checks.SAFETY_LADDER` when this (model,
llama.cpp build, CPU) has not been checked yet, remembers what passed, and,
when the worker dies under a turn, fails that turn with a clear message and
starts a new worker at once, a safer profile if the death was a native crash.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from router.endpoints import llama_protocol as proto
from router.endpoints.llama_checks import (
    CheckRecord,
    CheckStore,
    ExtraBuffers,
    LoadProfile,
    check_key,
    cpu_summary,
    ladder_for,
    llama_build_info,
    now_iso,
)
from router.endpoints.llama_process import WorkerProcess
from router.errors import LocalModelCrashedError, ModelLoadError

_log = logging.getLogger(__name__)

LOAD_TIMEOUT_S = 600.0
"""Prior: the longest a model load may take before the worker counts as hung."""
SELFTEST_TIMEOUT_S = 120.0
"""Prior: the longest the eight-token self-test may take before the worker counts as hung."""

_NATIVE_CRASHES = {"SIGSEGV", "SIGILL", "SIGBUS", "SIGFPE", "SIGABRT"}


class LocalModelHost:
    """The worker process for one model file, restarted whenever it dies."""

    def __init__(
        self,
        path: str,
        n_ctx: int,
        n_threads: int,
        *,
        extra_buffers: ExtraBuffers = "auto",
        store: CheckStore | None = None,
        log_file: Path | None = None,
    ) -> None:
        """Serve `path` with these llama.cpp settings; records self-tests in `store`."""
        self.path, self.n_ctx, self.n_threads = path, n_ctx, n_threads
        self.setting: ExtraBuffers = extra_buffers
        self.store = store
        self.log_file = log_file
        self.notices: list[str] = []
        self._profiles = list(ladder_for(extra_buffers))
        self._verified = extra_buffers != "auto"  # a forced setting is the user's call
        self._failures: list[str] = []
        self._worker: WorkerProcess | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._key: str | None = None
        self._build, self._cpu = "", ""

    @property
    def profile(self) -> LoadProfile:
        """The settings the worker runs (or will run) with."""
        return self._profiles[0]

    @property
    def worker(self) -> WorkerProcess | None:
        """The live worker, if one is running."""
        worker = self._worker
        return worker if worker is not None and worker.alive else None

    def ensure(self) -> WorkerProcess:
        """The running worker, started (and self-tested if need be) first; blocking."""
        with self._lock:
            if self._closed:
                raise ModelLoadError(f"{self.path} was unloaded", "load the model again")
            worker = self.worker
            if worker is None:
                worker = self._start()
                self._worker = worker
            return worker

    def close(self) -> None:
        """Stop the worker for good (blocking)."""
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    # -- starting ----------------------------------------------------------------------

    def _request(self, profile: LoadProfile) -> proto.LoadRequest:
        return proto.LoadRequest(
            path=self.path,
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            extra_buffers=profile.extra_buffers,
            use_mmap=profile.use_mmap,
            single_thread=profile.single_thread,
        )

    def _launch(self, profile: LoadProfile) -> WorkerProcess:
        worker = WorkerProcess(self._request(profile), self.log_file)
        worker.start(LOAD_TIMEOUT_S)
        return worker

    def _start(self) -> WorkerProcess:
        if not self._verified:
            self._load_record()
        worker = self._launch(self.profile) if self._verified else self._selftest_ladder()
        worker.on_death = self._on_death
        return worker

    def _load_record(self) -> None:
        """Skip the self-test when this model, build and CPU already passed one."""
        if self.store is None:
            return
        self._build, self._cpu = llama_build_info(), cpu_summary()
        self._key = check_key(self.path, self._build, self._cpu)
        record = self.store.get(self._key)
        if record is None or not record.passed:
            return
        names = [p.name for p in self._profiles]
        if record.profile in names:
            self._profiles = self._profiles[names.index(record.profile) :]
            self._failures = list(record.failures)
            self._verified = True

    def _selftest_ladder(self) -> WorkerProcess:
        while True:
            profile = self.profile
            try:
                worker = self._launch(profile)
            except LocalModelCrashedError as exc:
                self._failed(profile, f"crashed while loading ({exc.message})")
                continue
            try:
                result: proto.SelfTestResult = worker.call(
                    proto.SELFTEST, timeout_s=SELFTEST_TIMEOUT_S
                )
            except LocalModelCrashedError:
                self._failed(profile, f"crashed at its first decode ({worker.death})")
                continue
            except TimeoutError:
                worker.kill("the self-test hung")
                self._failed(profile, f"hung at its first decode (over {SELFTEST_TIMEOUT_S:.0f} s)")
                continue
            if not result.ok:
                worker.close()
                self._failed(profile, f"decoded garbage ({result.detail})")
                continue
            self._verified = True
            self._remember(profile, result.detail)
            return worker

    def _failed(self, profile: LoadProfile, what: str) -> None:
        """Record a failed profile and move to the next one, or give up."""
        self._failures.append(f"{profile.describe()}: {what}")
        _log.info("local model self-test: %s", self._failures[-1])
        if len(self._profiles) > 1:
            self._profiles.pop(0)
            return
        self._remember(None, "")
        raise ModelLoadError(
            "the local model failed its self-test with every safe CPU setting: "
            + "; ".join(self._failures),
            "run `tandem doctor` and include its report when you ask for help; another GGUF "
            "or llama-cpp-python build may work on this CPU",
        )

    def _remember(self, profile: LoadProfile | None, detail: str) -> None:
        if profile is not None and self._failures:
            notice = (
                f"local model self-test: {'; '.join(self._failures)}. It now runs with "
                f"{profile.describe()} (remembered for this model, llama.cpp build and CPU; "
                "[local] cpu_extra_buffers overrides it)"
            )
            self.notices.append(notice)
            _log.warning("%s", notice)
        if self.store is None or self._key is None:
            return
        self.store.put(
            CheckRecord(
                key=self._key,
                model=self.path,
                build=self._build,
                cpu=self._cpu,
                profile=profile.name if profile else "",
                settings=profile.describe() if profile else "none passed",
                failures=list(self._failures),
                checked_at=now_iso(),
                detail=detail,
            )
        )

    # -- dying -------------------------------------------------------------------------

    def _on_death(self, worker: WorkerProcess, death: str) -> str:
        """Called on the worker's reader thread: choose the restart, start it, say what happened."""
        with self._lock:
            if worker is not self._worker or self._closed:
                return f"the local model crashed ({death})"
            self._worker = None
            # Extra buffers are the known native-crash path; a crash without them is not
            # blamed on the CPU settings (one-thread decoding would cost every later turn).
            safer = (
                death in _NATIVE_CRASHES
                and self.setting == "auto"
                and self.profile.extra_buffers
                and len(self._profiles) > 1
            )
            if safer:
                old = self.profile
                self._failures.append(f"{old.describe()}: crashed during a turn ({death})")
                self._profiles.pop(0)
                self._verified = False  # the safer profile is self-tested before use
        if safer:
            message = (
                f"the local model crashed ({death}); restarted it with safe CPU settings "
                f"({self.profile.describe()})"
            )
        elif "stopped answering" in death or "hung" in death:
            message = f"the local model stopped responding ({death}); restarted it"
        else:
            message = f"the local model crashed ({death}); restarted it"
        _log.info("%s", message)  # the failed turn reports it to the user
        threading.Thread(target=self._restart, name="llama-restart", daemon=True).start()
        return message

    def _restart(self) -> None:
        try:
            self.ensure()
        except Exception as exc:  # the next turn tries again and shows the error
            _log.warning("the local model did not restart: %s", exc)
