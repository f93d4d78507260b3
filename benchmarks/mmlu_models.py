"""The models `mmlu_redaction.py` asks: a local GGUF by letter preference, an endpoint by text.

A local GGUF is scored by the letter it prefers, not by what it writes: the
chat (instruction, worked examples answered with a letter alone, the prompt) is
rendered with the model's chat template up to where the assistant's reply
begins, one forward pass gives the next token's logits, and the answer is the
letter A-D whose tokens ("A" and " A") hold the most probability there, less
the model's own bias for that letter. The bias is the letter's mean
log-probability over a few unlabelled prompts outside the sample (Batch
Calibration: Zhou et al., "Batch Calibration: Rethinking Calibration for
In-Context Learning and Prompt Engineering", ICLR 2024); small models favour one
letter whatever the question (the bundled one said "A" to 80% of them).

Every prompt gets exactly one of the four letters, so a small model that would
start its reply with "To determine..." is still scored on what it knows (the
"cloze" way of scoring multiple choice, as in the MMLU harness of Hendrycks et
al. 2021, there on the raw text rather than a chat). The model is loaded in
this process with the load profile Tandem's worker verified on this CPU (the
worker starts once, self-tests or reads its record, and is stopped). The KV
cache keeps the previous prompt, so only the tokens after the part it shares
with it (the instruction and examples at least) are evaluated.

Any endpoint of the user's Tandem config (cloud or edge) is asked in free text
instead, as the app would ask it, and the first standalone letter of the reply
is its answer (`answer_letter`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.mmlu_data import Shot
from router.endpoints.base import Endpoint, TokenDelta
from router.endpoints.pricing import PriceTable
from router.endpoints.registry import build_remote_endpoint
from router.errors import ConfigError
from router.ledger.store import Ledger
from router.paths import TandemPaths, resolve_paths
from router.runtime.compose import recorded_egress
from router.settings.config import load_settings
from router.types import GenerationOptions, Message

LETTERS = "ABCD"
SYSTEM = "Answer the multiple-choice question with the letter (A, B, C or D) of the correct option."
N_CTX = 4096
"""Tandem's default `[local] n_ctx`: room for the longest MMLU prompt (professional law)."""
FREE_TEXT_TOKENS = 16
"""Prior: reply tokens an endpoint gets; enough for "The answer is (B)", short of an essay."""

Ask = Callable[[str], Awaitable[str]]
"""The model under test: a prompt in, its reply out."""
Spellings = Mapping[str, tuple[int, ...]]
"""Letter -> the ids of its one-token spellings."""


def messages_for(text: str, shots: Sequence[Shot] = ()) -> list[Message]:
    """The chat sent for one MMLU prompt: the instruction, worked examples, then the prompt.

    Each example is a user turn (its prompt) answered by an assistant turn that is
    only the letter, which shows the model the form of answer wanted.
    """
    chat = [Message(role="system", content=SYSTEM)]
    for prompt, letter in shots:
        chat += [Message(role="user", content=prompt), Message(role="assistant", content=letter)]
    return [*chat, Message(role="user", content=text)]


def letter_spellings(tokenize: Callable[[str], Sequence[int]]) -> dict[str, tuple[int, ...]]:
    """Each letter's one-token spellings, bare and after a space; longer ones are left out."""
    spellings: dict[str, tuple[int, ...]] = {}
    for letter in LETTERS:
        ids = [tokenize(form) for form in (letter, f" {letter}")]
        spellings[letter] = tuple(dict.fromkeys(t[0] for t in ids if len(t) == 1))
        if not spellings[letter]:
            raise ValueError(f"the model has no single token for {letter!r}")
    return spellings


def letter_logprobs(
    logits: Sequence[float] | np.ndarray[Any, Any], spellings: Spellings
) -> dict[str, float]:
    """Each letter's next-token log-probability: the log-sum of its spellings' probabilities."""
    row = np.asarray(logits, dtype=np.float64)
    shifted = row - float(row.max())
    log_total = float(np.log(np.exp(shifted).sum()))
    return {
        letter: float(np.logaddexp.reduce(shifted[list(ids)])) - log_total
        for letter, ids in spellings.items()
    }


def preferred_letter(logprobs: Mapping[str, float]) -> str:
    """The most probable letter (ties: the earliest in A-D)."""
    return max(LETTERS, key=lambda letter: (logprobs[letter], -LETTERS.index(letter)))


def _shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` have in common."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class LetterScorer:
    """Answers each prompt with the letter a llama.cpp model in this process prefers.

    `llama` is a `llama_cpp.Llama` (or anything with its `tokenize`, `eval`,
    `n_tokens`, `n_ctx()`, `n_vocab()` and `_ctx.get_logits()`); `render` turns a
    prompt into the text the model continues and whether that text already
    carries the BOS token.
    """

    def __init__(self, llama: Any, render: Callable[[str], tuple[str, bool]]) -> None:
        """Score with `llama`, prompts rendered by `render`."""
        self.llama = llama
        self.render = render
        self.spellings = letter_spellings(
            lambda s: llama.tokenize(s.encode(), add_bos=False, special=False)
        )
        self._evaluated: list[int] = []
        self.bias = dict.fromkeys(LETTERS, 0.0)
        """Each letter's mean log-probability over the calibration prompts (0 before)."""

    def calibrate(self, prompts: Sequence[str]) -> None:
        """Measure the letter bias on `prompts` (blocking: a forward pass each)."""
        rows = [self.logprobs(text) for text in prompts]
        self.bias = {letter: float(np.mean([row[letter] for row in rows])) for letter in LETTERS}

    def letter(self, text: str) -> str:
        """The preferred letter after `text`, bias taken out (blocking)."""
        logprobs = self.logprobs(text)
        return preferred_letter({x: logprobs[x] - self.bias[x] for x in LETTERS})

    def logprobs(self, text: str) -> dict[str, float]:
        """Each letter's log-probability after `text` (blocking: one pass over its new tokens)."""
        rendered, has_bos = self.render(text)
        tokens = list(self.llama.tokenize(rendered.encode(), add_bos=not has_bos, special=True))
        if len(tokens) >= self.llama.n_ctx():
            raise ValueError(f"a prompt of {len(tokens)} tokens does not fit the context")
        # The KV cache still holds the last prompt: evaluate only what differs from it
        # (the system prompt at least), as llama.cpp's own generate() does.
        keep = min(_shared_prefix(tokens, self._evaluated), len(tokens) - 1)
        self.llama.n_tokens = keep
        self.llama.eval(tokens[keep:])
        self._evaluated = tokens
        logits = np.ctypeslib.as_array(self.llama._ctx.get_logits(), shape=(self.llama.n_vocab(),))
        return letter_logprobs(logits, self.spellings)

    async def ask(self, text: str) -> str:
        """`letter`, off the event loop."""
        return await asyncio.to_thread(self.letter, text)

    async def aclose(self) -> None:
        """Free the model."""
        self.llama.close()


async def local_scorer(model: Path, shots: Sequence[Shot] = (), n_ctx: int = N_CTX) -> LetterScorer:
    """A `LetterScorer` for the GGUF at `model` (loaded as Tandem's worker loads it)."""
    from router.endpoints.llama_cpp import LlamaCppEndpoint, _formatter
    from router.endpoints.llama_protocol import LoadRequest
    from router.endpoints.llama_tools import chat_messages
    from router.endpoints.llama_worker import open_llama

    endpoint = LlamaCppEndpoint(model, n_ctx=n_ctx)
    await endpoint.prepare()  # the profile that is safe on this CPU (self-tested once)
    loaded = endpoint.model
    assert loaded is not None
    profile, formatter = loaded.host.profile, _formatter(loaded)
    await asyncio.to_thread(endpoint.unload)
    request = LoadRequest(
        path=str(model),
        n_ctx=n_ctx,
        n_threads=0,
        extra_buffers=profile.extra_buffers,
        use_mmap=profile.use_mmap,
        single_thread=profile.single_thread,
    )
    llama = await asyncio.to_thread(open_llama, request)

    def render(text: str) -> tuple[str, bool]:
        chat = chat_messages(messages_for(text, shots), native_tools=False)
        rendered = formatter(messages=chat)
        return rendered.prompt, bool(rendered.added_special)

    return LetterScorer(llama, render)


async def configured_endpoint(
    name: str, paths: TandemPaths | None = None
) -> tuple[Endpoint, Callable[[], Awaitable[None]]]:
    """The `[[endpoints]]` entry `name` of the user's config, and how to close it.

    Built as `tandem endpoints test` builds it: its saved key, its prices, behind
    the egress guard, each request written to the record of outbound requests.
    """
    paths = (paths or resolve_paths()).ensure()
    settings = load_settings(paths)
    remote = next((e for e in settings.endpoints if e.name == name), None)
    if remote is None:
        names = ", ".join(e.name for e in settings.endpoints) or "none configured"
        raise ConfigError(f"no endpoint named {name!r} ({names})", "add it under [[endpoints]]")
    ledger = Ledger(paths.ledger_file)
    prices = PriceTable.load(paths)
    endpoint = build_remote_endpoint(
        remote, settings.resilience, paths, prices, recorded_egress(ledger)
    )

    async def close() -> None:
        try:
            await endpoint.aclose()
        finally:
            ledger.close()

    return endpoint, close


def endpoint_ask(
    endpoint: Endpoint, shots: Sequence[Shot] = (), max_tokens: int = FREE_TEXT_TOKENS
) -> Ask:
    """Ask `endpoint` each prompt in free text (greedy); its reply is the whole text."""
    options = GenerationOptions(max_tokens=max_tokens, temperature=0.0, seed=0)

    async def ask(text: str) -> str:
        stream = endpoint.stream(messages_for(text, shots), options)
        return "".join([e.text async for e in stream if isinstance(e, TokenDelta)])

    return ask
