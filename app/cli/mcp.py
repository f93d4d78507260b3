"""`tandem mcp`: serve this device's capabilities to MCP clients.

tandem mcp serve [--transport stdio|http] [--servers files,camera,sensors,assistant]
                 [--root DIR ...] [--allow-write] [--host H] [--port N] [--allow-host H ...]
tandem mcp token [--rotate]                 the bearer token HTTP clients send
tandem mcp config claude-desktop [--root DIR ...] [--servers ...]
                                            the JSON to paste into Claude Desktop's config

Tool names: see mcp_servers/serve.py. Without --servers, every server whose
needs are met runs (files only when shared folders are given, by --root or
TANDEM_MCP_ROOTS). Writes (--allow-write) are confirmed through MCP elicitation
when the client supports it, and refused otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from app.present.mcp import claude_desktop_config
from app.shutdown import STOPPER

if TYPE_CHECKING:
    from mcp_servers.serve import ServeOptions

DEFAULT_PORT = 8765


def add_mcp_parser(subparsers: Any) -> None:
    """Add the `mcp` command (serve, token, config) to the `tandem` subparsers."""
    mcp = subparsers.add_parser("mcp", help="serve files, sensors and the assistant over MCP")
    sub = mcp.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    serve = sub.add_parser("serve", help="run an MCP server (stdio for Claude Desktop, or HTTP)")
    serve.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio (default; for Claude Desktop) or streamable HTTP on --host:--port",
    )
    _add_server_choice(serve)
    serve.add_argument("--allow-write", action="store_true", help="offer write/append/move tools")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port (default 8765)")
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name clients may use (required to bind a non-loopback address)",
    )
    serve.add_argument("--model", default=None, help="model spec for ask_local")
    token = sub.add_parser("token", help="print the bearer token HTTP clients must send")
    token.add_argument("--rotate", action="store_true", help="replace it with a new one")
    config = sub.add_parser("config", help="print a client configuration snippet")
    config.add_argument("client", choices=("claude-desktop",), help="which client")
    _add_server_choice(config)


def _add_server_choice(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--servers",
        default=None,
        help="comma list of files,camera,sensors,assistant (default: all)",
    )
    parser.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder the files server shares (repeatable; overrides TANDEM_MCP_ROOTS and "
        "[mcp] roots)",
    )


def run_mcp(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `tandem mcp ...`; return the exit status."""
    out = out or sys.stdout
    if args.mcp_command == "serve":
        return run_serve(args)
    if args.mcp_command == "token":
        from mcp_servers.http_serve import load_or_create_token

        print(load_or_create_token(rotate=args.rotate), file=out)
        return 0
    if args.mcp_command == "config":
        print(claude_desktop_config(args.root, args.servers), file=out)
        return 0
    raise ValueError(f"unknown mcp command {args.mcp_command!r}")


def run_serve(args: argparse.Namespace) -> int:
    """Start the server on the chosen transport; returns when it stops."""
    from mcp_servers.serve import ServeOptions, parse_servers, roots_from_env
    from router import load_settings
    from router.runtime.assistant import AssistantService

    settings = load_settings().mcp
    # Most specific first: this run's --root, then TANDEM_MCP_ROOTS, then [mcp] roots.
    roots = tuple(args.root) or roots_from_env() or tuple(settings.roots)
    shared = tuple(os.path.abspath(os.path.expanduser(r)) for r in roots)
    options = ServeOptions(
        servers=parse_servers(args.servers, bool(roots)),
        roots=shared,
        write_enabled=args.allow_write or settings.files_write,
        # ask_local's model reads the folders this server shares with its client.
        assistant_factory=functools.partial(AssistantService, args.model, roots=shared),
    )
    if args.transport == "stdio":
        return _serve_stdio(options, args.model)
    from mcp_servers.http_serve import MCP_PATH, load_or_create_token, serve_http

    token = load_or_create_token()
    print(
        f"tandem mcp: serving {', '.join(options.servers)} at "
        f"http://{args.host}:{args.port}{MCP_PATH} (bearer token: `tandem mcp token`)",
        file=sys.stderr,
    )
    # uvicorn stops gracefully on SIGTERM or SIGINT and raises it again: exit 0, not by signal.
    STOPPER.raise_keyboard_interrupt()
    with contextlib.suppress(KeyboardInterrupt):
        serve_http(
            options, token=token, host=args.host, port=args.port, allowed_hosts=args.allow_host
        )
    return 0


def _serve_stdio(options: ServeOptions, model: str | None) -> int:
    """Serve over stdin/stdout until the client closes the pipe or a stop signal comes.

    A signal cannot end the serving itself: the SDK reads stdin in a thread that nothing
    interrupts until the client writes or closes. So the stop closes the assistant's runtime
    (model, ledger) from the event loop and then ends the process (app/shutdown.py).
    """
    from mcp_servers.serve import build_server
    from router.runtime.assistant import AssistantService

    factory = options.assistant_factory or functools.partial(AssistantService, model)
    service = options.assistant or factory()
    server, _tools = build_server(dataclasses.replace(options, assistant=service))

    async def stop() -> None:
        await service.aclose()
        STOPPER.finish(0)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stopping: set[asyncio.Task[None]] = set()  # a reference, so the task is not collected
        STOPPER.listen(loop, lambda: stopping.add(loop.create_task(stop())))
        try:
            await server.run_stdio_async()
        finally:
            await service.aclose()

    asyncio.run(serve())
    return 0
