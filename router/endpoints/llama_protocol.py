"""The messages between the app and the local model's worker process.

Each message is a tuple whose first item names its kind; it crosses a
socketpair as a pickle (`multiprocessing.connection`), which is fast and
keeps the shapes typed on both sides. Both ends are Tandem's own code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# App → worker.
LOAD = "load"  # (LOAD, LoadRequest)
TOKENIZE = "tokenize"  # (TOKENIZE, req_id, text: bytes, add_bos, special)
STATS = "stats"  # (STATS, req_id)
GENERATE = "generate"  # (GENERATE, GenerateRequest)
CANCEL = "cancel"  # (CANCEL, job_id)
SELFTEST = "selftest"  # (SELFTEST, req_id)
CLOSE = "close"  # (CLOSE,)

# Worker → app.
LOADED = "loaded"  # (LOADED, 0, LoadedInfo)
RESULT = "result"  # (RESULT, req_id, value)
STARTED = "started"  # (STARTED, job_id): the job left the queue and is running
TOKEN = "token"  # (TOKEN, job_id, text)
END = "end"  # (END, job_id, output_tokens, finish_reason)
SCORED = "scored"  # (SCORED, job_id, ScoredResult)
ERROR = "error"  # (ERROR, req_or_job_id, message)

SELFTEST_PROMPT = "The capital of France is"
SELFTEST_TOKENS = 8


@dataclass(frozen=True)
class LoadRequest:
    """Which model to load, and with which `LoadProfile` settings."""

    path: str
    n_ctx: int
    n_threads: int
    extra_buffers: bool
    use_mmap: bool = True
    single_thread: bool = False


@dataclass(frozen=True)
class LoadedInfo:
    """What the app needs to render prompts for the loaded model."""

    n_ctx: int
    n_vocab: int
    chat_template: str
    bos_token: str
    eos_token: str


@dataclass(frozen=True)
class GenerateRequest:
    """One generation: prompt tokens, sampling, and whether to score each token."""

    job_id: int
    tokens: list[int]
    max_new: int
    temperature: float
    top_p: float
    seed: int | None
    scored: bool = False


@dataclass(frozen=True)
class ScoredResult:
    """A whole answer with each token's log-probability and entropy."""

    text: str
    n_out: int
    first_token_s: float | None
    logprobs: list[float] = field(default_factory=list)
    entropies: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class SelfTestResult:
    """Whether the greedy self-test decoded sane logits, and what it produced."""

    ok: bool
    detail: str
