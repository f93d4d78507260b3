"""The on-device endpoint: llama.cpp in-process through llama-cpp-python.

Generation runs on the model's worker thread so the event loop (and the GUI) never
blocks; tokens cross back through an asyncio queue. Closing the stream sets a
flag the worker checks after every token, which stops generation within one
token and frees the shared model for the next caller.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import random
import threading
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from router.endpoints.base import (
    Endpoint,
    FinishReason,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    ToolCallRequested,
)
from router.endpoints.llama_model import LoadedModel, load_model, unload_model
from router.endpoints.llama_tools import (
    ToolCallParser,
    chat_messages,
    tool_dicts,
    tools_system_prompt,
)
from router.errors import PromptTooLongError
from router.policy.confidence import ScoredAnswer
from router.types import GenerationOptions, Message, ToolCall, ToolSpec, Usage

_log = logging.getLogger(__name__)

# Used only when a GGUF carries no chat template of its own.
_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# llama.cpp's defaults for the samplers create_completion also uses.
_TOP_K, _MIN_P = 40, 0.05


class LlamaCppEndpoint(Endpoint):
    """Streams answers from a GGUF model running on this device."""

    kind = "local"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        name: str = "local",
        n_ctx: int = 4096,
        n_threads: int = 0,
    ) -> None:
        self.name = name
        self.model_path = model_path
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._model: LoadedModel | None = None
        self._load_lock = asyncio.Lock()

    @property
    def context_window(self) -> int:
        """The context size the model was (or will be) loaded with."""
        return self._n_ctx

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def unload(self) -> bool:
        """Free this endpoint's weights (blocking: call off the loop); False if none were loaded.

        Only this endpoint's model is dropped from the process's cache; a later
        turn would load it again.
        """
        self._model = None
        return unload_model(self.model_path, self._n_ctx, self._n_threads)

    async def prepare(self) -> None:
        """Load the model off the event loop, if it is not loaded yet."""
        await self._ensure_model()

    async def _ensure_model(self) -> LoadedModel:
        if self._model is None:
            async with self._load_lock:
                if self._model is None:
                    self._model = await asyncio.to_thread(
                        load_model, self.model_path, self._n_ctx, self._n_threads
                    )
        return self._model

    def _prompt_tokens(
        self, model: LoadedModel, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()
    ) -> list[int]:
        # A template that mentions `tools` renders them (and tool messages) itself.
        native = "tools" in (model.chat_template or "")
        chat: Any = chat_messages(messages, native_tools=native)
        extra: dict[str, Any] = {}
        if tools and native:
            extra["tools"] = tool_dicts(tools)
        elif tools:
            prompt = tools_system_prompt(tools)
            if chat and chat[0]["role"] == "system":
                chat[0] = {"role": "system", "content": f"{chat[0]['content']}\n\n{prompt}"}
            else:
                chat.insert(0, {"role": "system", "content": prompt})
        rendered = _formatter(model)(messages=chat, **extra)
        tokens: list[int] = model.llama.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        return tokens

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Exact prompt tokens once the model is loaded; an estimate before."""
        if self._model is None:
            return super().count_tokens(messages)
        return len(self._prompt_tokens(self._model, messages))

    def _checked_prompt(
        self, model: LoadedModel, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()
    ) -> list[int]:
        tokens = self._prompt_tokens(model, messages, tools)
        if model.n_ctx - len(tokens) < 1:
            raise PromptTooLongError(
                f"the prompt is {len(tokens)} tokens but the model's context window is "
                f"{model.n_ctx}",
                "shorten the message, or raise [local] n_ctx in the config",
            )
        return tokens

    async def answer_scored(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> ScoredAnswer:
        """One whole answer, not streamed, with each token's log-probability and entropy.

        The cascade policy scores the local answer with these before deciding
        whether to show it or escalate.
        """
        started = time.perf_counter()
        model = await self._ensure_model()
        tokens = self._checked_prompt(model, messages)
        job = _ScoredGeneration(model, tokens, min(options.max_tokens, model.n_ctx - len(tokens)))
        return await asyncio.wrap_future(model.worker.submit(job.run, options, started))

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream the model's answer; see `Endpoint.stream`.

        With `tools`, calls the model writes (`<tool_call>` JSON, or bare JSON
        naming a tool) become `ToolCallRequested` events instead of text, and
        the stream ends with finish_reason `tool_use`.
        """
        started = time.perf_counter()
        model = await self._ensure_model()
        try:
            tokens = self._checked_prompt(model, messages, tools)
        except PromptTooLongError:
            if not tools:
                raise
            # The tool definitions did not fit beside the conversation: answer without them.
            _log.warning(
                "%d tool definitions did not fit in the context; offering none", len(tools)
            )
            tools = ()
            tokens = self._checked_prompt(model, messages)
        room = model.n_ctx - len(tokens)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[StreamEvent | BaseException] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: StreamEvent | BaseException) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop closed: nobody is listening any more
                stop.set()

        job = _Generation(model, tokens, min(options.max_tokens, room), options, started)
        model.worker.submit(job.run, stop, emit)
        parser = ToolCallParser(tools) if tools else None
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                if parser is None:
                    yield item
                elif isinstance(item, TokenDelta):
                    for event in _pieces(parser.feed(item.text)):
                        yield event
                elif isinstance(item, StreamEnd):
                    for event in _pieces(parser.finish()):
                        yield event
                    if parser.calls and item.finish_reason != "cancelled":
                        item = item.model_copy(update={"finish_reason": "tool_use"})
                    yield item
                if isinstance(item, StreamEnd):
                    return
        finally:
            stop.set()


def _pieces(pieces: Sequence[str | ToolCall]) -> list[StreamEvent]:
    """Parser output as stream events."""
    return [TokenDelta(text=p) if isinstance(p, str) else ToolCallRequested(call=p) for p in pieces]


def _formatter(model: LoadedModel) -> Any:
    """Return the model's chat-template renderer, compiled once per loaded model."""
    if model.formatter is None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model.formatter = Jinja2ChatFormatter(
            template=model.chat_template or _CHATML,
            eos_token=model.eos_token,
            bos_token=model.bos_token,
        )
    return model.formatter


class _Generation:
    """One generation on the worker thread, holding the model's lock throughout."""

    def __init__(
        self,
        model: LoadedModel,
        tokens: list[int],
        max_new: int,
        options: GenerationOptions,
        started: float,
    ) -> None:
        self.model, self.tokens, self.max_new = model, tokens, max_new
        self.options, self.started = options, started

    def run(
        self, stop: threading.Event, emit: Callable[[StreamEvent | BaseException], None]
    ) -> None:
        with self.model.lock:
            if stop.is_set():
                return
            try:
                emit(self._generate(stop, emit))
            except Exception as exc:
                emit(exc)

    def _generate(
        self, stop: threading.Event, emit: Callable[[StreamEvent | BaseException], None]
    ) -> StreamEnd:
        import llama_cpp

        llama: Any = self.model.llama
        opts = self.options
        llama.set_seed(opts.seed if opts.seed is not None else random.randrange(2**31))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        vocab = llama._model.vocab  # llama_cpp keeps the vocab handle on its internal model
        first: float | None = None
        n_out = 0
        finish: FinishReason = "length"
        for token in llama.generate(
            self.tokens,
            top_k=_TOP_K,
            top_p=opts.top_p,
            min_p=_MIN_P,
            temp=opts.temperature,
            repeat_penalty=1.0,
        ):
            if stop.is_set():
                finish = "cancelled"
                break
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                finish = "stop"
                break
            n_out += 1
            if first is None:
                first = time.perf_counter() - self.started
            text = decoder.decode(llama.detokenize([token]))
            if text:
                emit(TokenDelta(text=text))
            if n_out >= self.max_new:
                break
        tail = decoder.decode(b"", final=True)
        if tail:
            emit(TokenDelta(text=tail))
        return StreamEnd(
            usage=Usage(
                input_tokens=len(self.tokens),
                output_tokens=n_out,
                ttft_s=first,
                latency_s=time.perf_counter() - self.started,
            ),
            finish_reason=finish,
        )


class _ScoredGeneration:
    """A whole generation on the worker thread that also records token log-probs."""

    def __init__(self, model: LoadedModel, tokens: list[int], max_new: int) -> None:
        self.model, self.tokens, self.max_new = model, tokens, max_new

    def run(self, options: GenerationOptions, started: float) -> ScoredAnswer:
        import llama_cpp
        import numpy as np

        with self.model.lock:
            llama: Any = self.model.llama
            llama.set_seed(options.seed if options.seed is not None else random.randrange(2**31))
            vocab = llama._model.vocab
            n_vocab = llama.n_vocab()
            out: list[int] = []
            logprobs: list[float] = []
            entropies: list[float] = []
            first: float | None = None
            for token in llama.generate(
                self.tokens,
                top_k=_TOP_K,
                top_p=options.top_p,
                min_p=_MIN_P,
                temp=options.temperature,
                repeat_penalty=1.0,
            ):
                # Without logits_all llama.cpp keeps only the last position's logits: the
                # distribution this token was sampled from (before sampler truncation).
                logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_vocab,))
                shifted = logits.astype(np.float64) - float(logits.max())
                log_z = float(np.log(np.exp(shifted).sum()))
                log_p = shifted - log_z
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                if first is None:
                    first = time.perf_counter() - started
                out.append(token)
                logprobs.append(float(log_p[token]))
                entropies.append(float(-(np.exp(log_p) * log_p).sum()))
                if len(out) >= self.max_new:
                    break
            text = llama.detokenize(out).decode("utf-8", errors="replace")
        return ScoredAnswer(
            text=text,
            token_logprobs=tuple(logprobs),
            token_entropies=tuple(entropies),
            usage=Usage(
                input_tokens=len(self.tokens),
                output_tokens=len(out),
                ttft_s=first,
                latency_s=time.perf_counter() - started,
            ),
        )
