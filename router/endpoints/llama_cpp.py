"""The on-device endpoint: llama.cpp through llama-cpp-python, in a supervised worker process.

The model runs in a worker process (`llama_model`, `llama_supervisor`), so a
native crash, an out-of-memory kill or a hang costs the turn it happened in,
with a message saying so, and the next turn finds a fresh worker. Tokens cross
back from the worker's reader thread through an asyncio queue, so the event
loop (and the GUI) never blocks. Closing the stream sends a cancel the worker
checks after every token, which stops generation within one token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from router.endpoints import llama_protocol as proto
from router.endpoints.base import (
    Endpoint,
    FinishReason,
    ScoredAnswer,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    ToolCallRequested,
)
from router.endpoints.llama_checks import ExtraBuffers
from router.endpoints.llama_model import LoadedModel, load_model, unload_model
from router.endpoints.llama_process import DIED, WorkerProcess, next_id
from router.endpoints.llama_tools import (
    ToolCallParser,
    chat_messages,
    tools_system_prompt,
)
from router.endpoints.llama_worker import MIN_P as _MIN_P
from router.endpoints.llama_worker import TOP_K as _TOP_K
from router.endpoints.settings import LocalModelSettings
from router.endpoints.tool_specs import openai_tools
from router.errors import EndpointError, LocalModelCrashedError, PromptTooLongError, TandemError
from router.types import GenerationOptions, Message, ToolCall, ToolSpec, Usage

__all__ = ["_MIN_P", "_TOP_K", "LlamaCppEndpoint"]

_log = logging.getLogger(__name__)

# Used only when a GGUF carries no chat template of its own.
_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
STALL_TIMEOUT_S = 300.0
"""Prior: a running generation with no token for this long counts as hung (the worker is killed)."""


class LlamaCppEndpoint(Endpoint):
    """Streams answers from a GGUF model running on this device, in a worker process."""

    kind = "local"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        name: str = "local",
        n_ctx: int = 4096,
        n_threads: int = 0,
        extra_buffers: ExtraBuffers = "auto",
        stall_timeout_s: float = STALL_TIMEOUT_S,
    ) -> None:
        """Serve `model_path`; `extra_buffers` is `[local] cpu_extra_buffers`."""
        self.name = name
        self.model_path = model_path
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._extra_buffers: ExtraBuffers = extra_buffers
        self._stall_timeout_s = stall_timeout_s
        self._model: LoadedModel | None = None
        self._load_lock = asyncio.Lock()

    @property
    def context_window(self) -> int:
        """The context size the model was (or will be) loaded with."""
        return self._n_ctx

    @classmethod
    def from_settings(
        cls, model_path: str | os.PathLike[str], local: LocalModelSettings, *, name: str = "local"
    ) -> LlamaCppEndpoint:
        """The endpoint `[local]` describes, serving `model_path`."""
        return cls(
            model_path,
            name=name,
            n_ctx=local.n_ctx,
            n_threads=local.n_threads,
            extra_buffers=local.cpu_extra_buffers,
            stall_timeout_s=local.stall_timeout_s,
        )

    def fresh(self, *, n_threads: int | None = None) -> LlamaCppEndpoint:
        """A new, unloaded endpoint for the same model and settings."""
        return LlamaCppEndpoint(
            self.model_path,
            name=self.name,
            n_ctx=self._n_ctx,
            n_threads=self._n_threads if n_threads is None else n_threads,
            extra_buffers=self._extra_buffers,
            stall_timeout_s=self._stall_timeout_s,
        )

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    @property
    def model(self) -> LoadedModel | None:
        """The loaded model (its worker host, format and notices), once loaded."""
        return self._model

    def unload(self) -> bool:
        """Stop this endpoint's worker (blocking: call off the loop); False if none ran.

        Only this endpoint's model is stopped; a later turn would load it again.
        """
        self._model = None
        return unload_model(self.model_path, self._n_ctx, self._n_threads)

    async def prepare(self) -> None:
        """Start the model's worker off the event loop (or wait for its restart)."""
        await self._worker(await self._ensure_model())

    async def _ensure_model(self) -> LoadedModel:
        if self._model is None:
            async with self._load_lock:
                if self._model is None:
                    self._model = await asyncio.to_thread(
                        load_model,
                        self.model_path,
                        self._n_ctx,
                        self._n_threads,
                        extra_buffers=self._extra_buffers,
                    )
        return self._model

    async def _worker(self, model: LoadedModel) -> WorkerProcess:
        """The live worker; after a crash this waits for the restart (off the loop)."""
        worker = model.host.worker
        return worker if worker is not None else await asyncio.to_thread(model.worker)

    def _prompt_tokens(
        self, model: LoadedModel, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()
    ) -> list[int]:
        # A template that mentions `tools` renders them (and tool messages) itself.
        native = "tools" in (model.chat_template or "")
        chat: Any = chat_messages(messages, native_tools=native)
        extra: dict[str, Any] = {}
        if tools and native:
            extra["tools"] = openai_tools(tools)
        elif tools:
            prompt = tools_system_prompt(tools)
            if chat and chat[0]["role"] == "system":
                chat[0] = {"role": "system", "content": f"{chat[0]['content']}\n\n{prompt}"}
            else:
                chat.insert(0, {"role": "system", "content": prompt})
        rendered = _formatter(model)(messages=chat, **extra)
        return model.tokenize(rendered.prompt, add_bos=not rendered.added_special, special=True)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Exact prompt tokens once the model is loaded; an estimate before (or mid-restart)."""
        if self._model is None or self._model.host.worker is None:
            return super().count_tokens(messages)
        try:
            return len(self._prompt_tokens(self._model, messages))
        except (TandemError, TimeoutError):
            return super().count_tokens(messages)

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
        await self._worker(model)
        tokens = await asyncio.to_thread(self._checked_prompt, model, messages)
        room = min(options.max_tokens, model.n_ctx - len(tokens))
        job = _request(tokens, room, options, scored=True)
        async for message in self._run(model, job, started):
            if message[0] == proto.SCORED:
                scored: proto.ScoredResult = message[2]
                return ScoredAnswer(
                    text=scored.text,
                    token_logprobs=tuple(scored.logprobs),
                    token_entropies=tuple(scored.entropies),
                    usage=Usage(
                        input_tokens=len(tokens),
                        output_tokens=scored.n_out,
                        ttft_s=message[3] + scored.first_token_s
                        if scored.first_token_s is not None
                        else None,
                        latency_s=time.perf_counter() - started,
                    ),
                )
        raise EndpointError("the local model ended without an answer", "ask again")

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
        await self._worker(model)
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
        job = _request(tokens, min(options.max_tokens, model.n_ctx - len(tokens)), options)
        parser = ToolCallParser(tools) if tools else None
        first: float | None = None
        async for message in self._run(model, job, started):
            if message[0] == proto.TOKEN:
                if first is None:
                    first = time.perf_counter() - started
                if not message[2]:
                    continue
                if parser is None:
                    yield TokenDelta(text=message[2])
                else:
                    for event in _pieces(parser.feed(message[2])):
                        yield event
                continue
            finish: FinishReason = message[3]
            if parser is not None:
                for event in _pieces(parser.finish()):
                    yield event
                if parser.calls and finish != "cancelled":
                    finish = "tool_use"
            usage = Usage(
                input_tokens=len(tokens),
                output_tokens=message[2],
                ttft_s=first,
                latency_s=time.perf_counter() - started,
            )
            yield StreamEnd(usage=usage, finish_reason=finish)
            return

    async def _run(
        self, model: LoadedModel, job: proto.GenerateRequest, started: float
    ) -> AsyncGenerator[tuple[Any, ...], None]:
        """Run `job` on the worker: yields TOKEN, then END or SCORED (with its start time).

        A worker that dies under the job fails it with the host's message; a
        running job silent for `stall_timeout_s` gets its worker killed as hung.
        Leaving early cancels the job in the worker.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

        def sink(message: tuple[Any, ...]) -> None:
            # RuntimeError: the loop closed, so nobody is listening any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(queue.put_nowait, message)

        worker = await self._worker(model)
        worker.submit(job, sink)
        running_since: float | None = None
        done = False
        try:
            while True:
                # Only a running job can stall: one queued behind another turn just waits.
                timeout = self._stall_timeout_s if running_since is not None else None
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
                    # cancellation that lands as a token arrives.
                    async with asyncio.timeout(timeout):
                        message = await queue.get()
                except TimeoutError:
                    worker.kill(f"no token for {self._stall_timeout_s:.0f} s; it hung")
                    continue
                kind = message[0]
                if kind == proto.STARTED:
                    running_since = time.perf_counter() - started
                    continue
                if kind == DIED:
                    done = True
                    raise LocalModelCrashedError(message[2], "ask again: the next turn works")
                if kind == proto.ERROR:
                    done = True
                    raise EndpointError(f"the local model failed: {message[2]}", "ask again")
                done = kind in (proto.END, proto.SCORED)
                if kind == proto.SCORED:
                    message = (*message, running_since or 0.0)
                yield message
                if done:
                    return
        finally:
            if not done:
                worker.cancel(job.job_id)


def _request(
    tokens: list[int], max_new: int, options: GenerationOptions, *, scored: bool = False
) -> proto.GenerateRequest:
    return proto.GenerateRequest(
        scored=scored,
        job_id=next_id(),
        tokens=tokens,
        max_new=max_new,
        temperature=options.temperature,
        top_p=options.top_p,
        seed=options.seed,
    )


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
