"""An agent that is another Tandem device, reached through its MCP `assistant` server.

Each call opens the official SDK's `Client` over streamable HTTP (with the
peer's bearer token), calls `ask_local(question, context)`, and streams the
answer back as one delta. The peer answers with its own on-device model, so
only the answer comes back. Its HTTP client comes from the egress guard's
factory, like every other off-device request's (with the pipeline's policy when given).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from router.endpoints.base import Endpoint, StreamEnd, StreamEvent, TokenDelta
from router.errors import EndpointError
from router.mcp.results import result_text
from router.privacy.guard import EgressPolicy, guarded_httpx2_client
from router.types import EndpointKind, GenerationOptions, Message, ToolSpec, Usage

ClientFactory = Callable[[], AbstractAsyncContextManager[Client]]
"""Opens a connected MCP client (tests pass an in-process one)."""

MAX_ANSWER_CHARS = 20_000


class McpAssistantEndpoint(Endpoint):
    """A remote Tandem device's `ask_local` tool as an `Endpoint`."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        name: str = "peer",
        kind: EndpointKind = "edge",
        egress: EgressPolicy | None = None,
        client_factory: ClientFactory | None = None,
        timeout_s: float = 300.0,
    ) -> None:
        self.name = name
        self.kind = kind
        self.url = url
        self._token = token
        # Without the pipeline's policy the peer still leaves by the one guarded way out.
        self._egress = egress if egress is not None else EgressPolicy()
        self._factory = client_factory or self._http_client
        self._timeout_s = timeout_s

    @property
    def context_window(self) -> int:
        """The peer's window is unknown here; its own server checks the prompt."""
        return 32_768

    @asynccontextmanager
    async def _http_client(self) -> Any:
        timeout = httpx2.Timeout(30.0, read=self._timeout_s)
        http = guarded_httpx2_client(self._egress, f"Tandem peer {self.name}", timeout=timeout)
        if self._token:
            http.headers["Authorization"] = f"Bearer {self._token}"
        async with http, Client(streamable_http_client(self.url, http_client=http)) as client:
            yield client

    async def _ask(self, question: str, context: str) -> str:
        arguments: dict[str, Any] = {"question": question}
        if context:
            arguments["context"] = context
        # The client is opened and closed inside one coroutine: its anyio cancel
        # scopes must not span the generator's yields.
        try:
            async with self._factory() as client:
                result = await client.call_tool("ask_local", arguments)
        except BaseExceptionGroup as group:
            # The SDK's task groups wrap what went wrong (an egress block, a refused
            # token); surface that, so the team reports the real reason.
            raise _leaf(group) from None
        text = result_text(result, MAX_ANSWER_CHARS)
        if result.is_error:
            raise EndpointError(
                f"the Tandem peer {self.name} could not answer: {text}",
                "check that `tandem mcp serve --http` runs there with the assistant server",
            )
        return text

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Ask the peer; the whole answer arrives as one `TokenDelta`, then `StreamEnd`."""
        started = time.perf_counter()
        question, context = split_prompt(messages)
        answer = await self._ask(question, context)
        latency = time.perf_counter() - started
        yield TokenDelta(text=answer)
        n_out = self.count_tokens([Message(role="assistant", content=answer)])
        yield StreamEnd(
            usage=Usage(
                input_tokens=self.count_tokens(messages),
                output_tokens=n_out,
                ttft_s=latency,
                latency_s=latency,
            ),
            finish_reason="stop",
        )


def _leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def split_prompt(messages: Sequence[Message]) -> tuple[str, str]:
    """The last user message as the question; everything before it as context."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    if last < 0:
        raise EndpointError("nothing to ask the peer", "send at least one user message")
    earlier = [m.content for m in messages[:last] if m.content.strip()]
    return messages[last].content, "\n\n".join(earlier)
