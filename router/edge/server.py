"""The edge server: this device's model behind the Anthropic Messages API (and OpenAI's).

A desktop at home serves a phone with it, and tests use it as an offline
"cloud". Routes:

    POST /v1/messages                 Anthropic Messages, JSON or server-sent events
    POST /v1/messages/count_tokens    prompt tokens with the model's own tokenizer
    GET  /v1/models[/{id}]            the one served model (Anthropic and OpenAI shapes)
    POST /v1/chat/completions         OpenAI chat completions (see `openai_compat`)

What is not supported, by design: images and documents (400: the model reads
text only), tools (`tools` is ignored; tool_use/tool_result blocks in the
history are shown to the model as text), assistant prefill (400), `top_k`
(ignored). `stop_sequences` are honoured. `max_tokens` is capped to the room
left in the context window. Any `model` name is accepted: there is one model.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.edge import openai_compat
from router.edge.anthropic_api import AnthropicRoutes, error_response
from router.edge.engine import ApiError, Engine, ErrorType
from router.edge.transport import EdgeState
from router.edge.wire import ModelInfo
from router.endpoints.base import Endpoint
from router.errors import TandemError
from router.types import GenerationOptions

log = logging.getLogger("router.edge")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8642


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    kinds: dict[int, ErrorType] = {404: "not_found_error", 405: "invalid_request_error"}
    detail = {404: "no such route", 405: "method not allowed"}.get(status, "internal error")
    message = f"{request.method} {request.url.path}: {detail}"
    return error_response(ApiError(status, kinds.get(status, "api_error"), message))


def create_app(
    endpoint: Endpoint,
    *,
    model_id: str,
    api_key: str | None,
    max_queue: int = 8,
    max_body_bytes: int = 4 << 20,
    defaults: GenerationOptions | None = None,
    display_name: str | None = None,
    created_at: datetime | None = None,
    ping_interval_s: float = 10.0,
) -> Starlette:
    """Build the ASGI app serving `endpoint` under the name `model_id`.

    `api_key` None means no key is required. `max_queue` requests may wait
    behind the running one; more get 529. Bodies over `max_body_bytes` get 413.
    `defaults` supplies sampling settings a request leaves out (temperature,
    top_p, seed). While a streamed request waits for the model, a ping event is
    sent every `ping_interval_s` seconds.
    """
    engine = Engine(endpoint, max_queue=max_queue, ping_interval_s=ping_interval_s)
    state = EdgeState(engine, model_id, api_key, max_body_bytes, defaults or GenerationOptions())
    made = (created_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    model = ModelInfo(
        id=model_id,
        display_name=display_name or model_id,
        created_at=made.isoformat().replace("+00:00", "Z"),
        created=int(made.timestamp()),
    )
    anthropic = AnthropicRoutes(state, model)
    openai = openai_compat.ChatCompletions(state)
    routes = [
        Route("/v1/messages", anthropic.messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", anthropic.count_tokens, methods=["POST"]),
        Route("/v1/models", anthropic.list_models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", anthropic.get_model, methods=["GET"]),
        Route("/v1/chat/completions", openai.handle, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await endpoint.prepare()  # a no-op when the caller loaded the model already
        yield

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
    )


def is_loopback(host: str) -> bool:
    """True when `host` is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lan_address() -> str:
    # Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))
        return str(probe.getsockname()[0])
    return "<this-computer's-address>"


def banner(host: str, port: int, model_id: str, api_key: str | None, context_window: int) -> str:
    """What `tandem edge serve` prints: the address and a config snippet (never the key)."""
    shown = _lan_address() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}"
    lines = [
        f"Tandem edge server: {model_id} on {url}",
        f"  Anthropic API: {url}/v1/messages   OpenAI API: {url}/v1/chat/completions",
        "",
        "Add this to the config of the device that should use it (`tandem config path`):",
        "",
        "[[endpoints]]",
        'name = "edge"',
        'kind = "edge"',
        'api = "anthropic"',
        f'base_url = "{url}"',
        f'model = "{model_id}"',
        f"context_window = {context_window}",
        "# mine = true  # if this server is one of your own devices: keep_mine rules may use it",
    ]
    if api_key:
        lines.append("# this server needs its key: save it there with `tandem endpoints key edge`")
    if not is_loopback(host) and not api_key:
        lines += [
            "",
            f"WARNING: listening on {host} without --api-key: anyone on your network can use "
            "this model. Add --api-key to require a key.",
        ]
    return "\n".join(lines)


def bind(host: str, port: int) -> socket.socket:
    """Open the listening socket, or raise a `TandemError` saying why it failed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets
    # that say they are TCP. With Nagle on, each small SSE write after the first on a
    # kept-alive connection waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if sys.platform != "win32":  # on Windows SO_REUSEADDR would let others share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening before the banner is printed: a client that connects at once is queued
        # until the server starts accepting, not refused.
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise TandemError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc})",
            "pick another --port, or stop the program using it",
        ) from exc
    return sock


async def serve(
    endpoint: Endpoint,
    *,
    model_id: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    max_queue: int = 8,
    defaults: GenerationOptions | None = None,
    display_name: str | None = None,
    created_at: datetime | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve `endpoint` with uvicorn on host:port until Ctrl-C or SIGTERM.

    Binds loopback unless told otherwise; `announce` gets the banner (port 0
    picks a free port, and the banner shows which). Open streams get a few
    seconds to finish on shutdown.
    """
    app = create_app(
        endpoint, model_id=model_id, api_key=api_key, max_queue=max_queue, defaults=defaults,
        display_name=display_name, created_at=created_at,
    )  # fmt: skip
    # log_config=None: uvicorn's records (requests, a stream cut off by the shutdown) go
    # through the root logger, to `tandem`'s log file rather than the terminal.
    config = uvicorn.Config(app, log_config=None, log_level="info", timeout_graceful_shutdown=3)
    sock = bind(host, port)
    announce(banner(host, sock.getsockname()[1], model_id, api_key, endpoint.context_window))
    log.info("edge server: model %s, key required: %s", model_id, "yes" if api_key else "no")
    await uvicorn.Server(config).serve(sockets=[sock])
