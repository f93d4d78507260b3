"""The local model's worker process: owns one `llama_cpp.Llama`, serves it over a socket.

Run by `llama_supervisor` as `python -m router.endpoints.llama_worker FD`, where
FD is its end of a socketpair carrying pickled tuples (see `llama_protocol`).
A native crash, an out-of-memory kill or a hang here costs the app one turn:
the supervisor sees the socket close, reports why, and starts a new worker.

Threads: the main thread reads requests and answers the cheap ones itself
(tokenize, stats, cancel), so counting tokens never waits behind a generation;
generations and the self-test run one at a time on a single long-lived thread,
because llama.cpp's OpenMP team belongs to the thread that calls it.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from router.endpoints import llama_protocol as proto
from router.endpoints.llama_faults import FaultPlan

# llama.cpp's defaults for the samplers create_completion also uses.
TOP_K, MIN_P = 40, 0.05


class Worker:
    """The loaded model and the jobs running on it."""

    def __init__(self, conn: Connection, faults: FaultPlan) -> None:
        """Serve requests from `conn`; `faults` injects crashes and hangs for tests."""
        self.conn = conn
        self.faults = faults
        self.llama: Any = None
        self.profile: proto.LoadRequest | None = None
        self._send_lock = threading.Lock()
        self._stops: dict[int, threading.Event] = {}
        self._gen = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self.busy = threading.Event()

    def send(self, message: tuple[Any, ...]) -> None:
        """Send one message to the supervisor (from any thread)."""
        with self._send_lock:
            self.conn.send(message)

    # -- loading -----------------------------------------------------------------------

    def load(self, req: proto.LoadRequest) -> proto.LoadedInfo:
        """Load the model with the request's profile and describe it."""
        self.profile = req
        self.llama = llama = open_llama(req)
        metadata: dict[str, str] = llama.metadata
        eos_id, bos_id = llama.token_eos(), llama.token_bos()
        text = llama._model.token_get_text  # token text lives on the internal model object
        return proto.LoadedInfo(
            n_ctx=llama.n_ctx(),
            n_vocab=llama.n_vocab(),
            chat_template=metadata.get("tokenizer.chat_template", ""),
            bos_token=text(bos_id) if bos_id != -1 else "",
            eos_token=text(eos_id) if eos_id != -1 else "",
        )

    # -- requests from the main thread --------------------------------------------------

    def handle(self, message: tuple[Any, ...]) -> bool:
        """Act on one request; False when the worker should exit."""
        kind = message[0]
        if kind == proto.CLOSE:
            return False
        if kind == proto.TOKENIZE:
            _, req_id, text, add_bos, special = message
            tokens = self.llama.tokenize(text, add_bos=add_bos, special=special)
            self.send((proto.RESULT, req_id, list(tokens)))
        elif kind == proto.STATS:
            _, req_id = message
            stats = {"n_tokens": int(self.llama.n_tokens), "busy": self.busy.is_set()}
            self.send((proto.RESULT, req_id, stats))
        elif kind == proto.CANCEL:
            stop = self._stops.get(message[1])
            if stop is not None:
                stop.set()
        elif kind == proto.GENERATE:
            job: proto.GenerateRequest = message[1]
            stop = self._stops.setdefault(job.job_id, threading.Event())
            self._gen.submit(self._run_job, job, stop)
        elif kind == proto.SELFTEST:
            self._gen.submit(self._run_selftest, message[1])
        return True

    # -- jobs on the generation thread ------------------------------------------------

    def _run_job(self, job: proto.GenerateRequest, stop: threading.Event) -> None:
        self.busy.set()
        try:
            self.send((proto.STARTED, job.job_id))
            if stop.is_set():
                self.send((proto.END, job.job_id, 0, "cancelled"))
                return
            self.faults.before_decode(self.profile)
            if job.scored:
                self._scored(job)
            else:
                self._stream(job, stop)
        except Exception as exc:  # the supervisor turns this into the turn's error
            self.send((proto.ERROR, job.job_id, f"{type(exc).__name__}: {exc}"))
        finally:
            self._stops.pop(job.job_id, None)
            self.busy.clear()

    def _stream(self, job: proto.GenerateRequest, stop: threading.Event) -> None:
        import llama_cpp

        llama = self.llama
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        vocab = llama._model.vocab  # llama_cpp keeps the vocab handle on its internal model
        n_out, finish = 0, "length"
        for token in _sampled(llama, job):
            if stop.is_set():
                finish = "cancelled"
                break
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                finish = "stop"
                break
            n_out += 1
            # Sent even when empty (half a UTF-8 character): the first one times TTFT.
            self.send((proto.TOKEN, job.job_id, decoder.decode(llama.detokenize([token]))))
            if n_out >= job.max_new:
                break
        tail = decoder.decode(b"", final=True)
        if tail:
            self.send((proto.TOKEN, job.job_id, tail))
        self.send((proto.END, job.job_id, n_out, finish))

    def _scored(self, job: proto.GenerateRequest) -> None:
        import llama_cpp
        import numpy as np

        llama = self.llama
        vocab, n_vocab = llama._model.vocab, llama.n_vocab()
        out: list[int] = []
        logprobs: list[float] = []
        entropies: list[float] = []
        first: float | None = None
        started = time.perf_counter()
        for token in _sampled(llama, job):
            # Without logits_all llama.cpp keeps only the last position's logits: the
            # distribution this token was sampled from (before sampler truncation).
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_vocab,))
            shifted = logits.astype(np.float64) - float(logits.max())
            log_p = shifted - float(np.log(np.exp(shifted).sum()))
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            if first is None:
                first = time.perf_counter() - started
            out.append(token)
            logprobs.append(float(log_p[token]))
            entropies.append(float(-(np.exp(log_p) * log_p).sum()))
            if len(out) >= job.max_new:
                break
        text = llama.detokenize(out).decode("utf-8", errors="replace")
        scored = proto.ScoredResult(
            text=text,
            logprobs=logprobs,
            entropies=entropies,
            n_out=len(out),
            first_token_s=first,
        )
        self.send((proto.SCORED, job.job_id, scored))

    def _run_selftest(self, req_id: int) -> None:
        self.busy.set()
        try:
            self.send((proto.RESULT, req_id, self.selftest()))
        except Exception as exc:
            self.send((proto.RESULT, req_id, proto.SelfTestResult(ok=False, detail=str(exc))))
        finally:
            self.busy.clear()

    def selftest(self) -> proto.SelfTestResult:
        """A short deterministic greedy decode; garbage is any non-finite logit."""
        import llama_cpp
        import numpy as np

        llama = self.llama
        self.faults.before_decode(self.profile, selftest=True)
        prompt = llama.tokenize(proto.SELFTEST_PROMPT.encode(), add_bos=True, special=False)
        n_vocab, vocab = llama.n_vocab(), llama._model.vocab
        llama.reset()
        llama.eval(prompt)
        out: list[int] = []
        for _ in range(proto.SELFTEST_TOKENS):
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_vocab,))
            logits = self.faults.poison(logits, self.profile)
            if not np.isfinite(logits).all():
                return proto.SelfTestResult(ok=False, detail="the logits were not finite (NaN/inf)")
            token = int(logits.argmax())
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            out.append(token)
            llama.eval([token])
        llama.reset()
        text = llama.detokenize(out).decode("utf-8", errors="replace")
        return proto.SelfTestResult(ok=True, detail=f"greedy decode: {text!r}")


def open_llama(req: proto.LoadRequest) -> Any:
    """A `llama_cpp.Llama` for `req`, with its profile's settings (the benchmark uses it too)."""
    import importlib

    import llama_cpp

    kwargs: dict[str, Any] = {"n_ctx": req.n_ctx, "verbose": False, "use_mmap": req.use_mmap}
    threads = 1 if req.single_thread else req.n_threads
    if threads:
        kwargs["n_threads"] = threads
        kwargs["n_threads_batch"] = threads
    # The ctypes bindings that the Llama class calls.
    low: Any = importlib.import_module("llama_cpp.llama").llama_cpp
    original = low.llama_model_default_params

    def params() -> Any:
        # Llama() has no argument for use_extra_bufts; set it on the params it builds.
        p = original()
        if hasattr(p, "use_extra_bufts"):
            p.use_extra_bufts = req.extra_buffers
        return p

    low.llama_model_default_params = params
    try:
        return llama_cpp.Llama(model_path=req.path, **kwargs)
    finally:
        low.llama_model_default_params = original


def _sampled(llama: Any, job: proto.GenerateRequest) -> Any:
    """The tokens llama.cpp samples for `job`, seeded, with llama.cpp's default samplers."""
    llama.set_seed(job.seed if job.seed is not None else random.randrange(2**31))
    return llama.generate(
        job.tokens,
        top_k=TOP_K,
        top_p=job.top_p,
        min_p=MIN_P,
        temp=job.temperature,
        repeat_penalty=1.0,
    )


def _die_with_parent(parent: int) -> None:
    """End this process when the app does, whatever way the app ends (kill -9 included)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)

    def watch() -> None:
        # Elsewhere (macOS) nothing signals us: poll for re-parenting.
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(conn: Connection, parent: int) -> None:
    """Load the model named by the first message, then serve until closed or orphaned."""
    _die_with_parent(parent)
    # Ctrl-C in the terminal reaches the whole process group: the app decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = Worker(conn, FaultPlan.from_env())
    try:
        first = conn.recv()
    except (EOFError, OSError):
        return
    try:
        info = worker.load(first[1])
    except Exception as exc:
        conn.send((proto.ERROR, 0, f"{type(exc).__name__}: {exc}"))
        return
    conn.send((proto.LOADED, 0, info))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        try:
            if not worker.handle(message):
                break
        except Exception as exc:  # a bad request fails that request, not the worker
            ident = message[1] if len(message) > 1 and isinstance(message[1], int) else 0
            worker.send((proto.ERROR, ident, f"{type(exc).__name__}: {exc}"))
    worker._gen.shutdown(wait=False, cancel_futures=True)
    os._exit(0)  # skip llama.cpp's teardown: the process is going away anyway


def main(argv: list[str]) -> None:
    """Entry point: `python -m router.endpoints.llama_worker FD PARENT_PID`."""
    conn = Connection(int(argv[0]))
    serve(conn, int(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
