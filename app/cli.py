"""`tandem`: the command-line entry point.

tandem                      launch the GUI (desktop window, else the web view)
tandem --web [--port N]     serve the GUI on 127.0.0.1 for a browser
tandem chat [--once Q]      terminal chat over the same pipeline
tandem models list|pull     see and fetch local models
tandem memory search|rebuild|stats   search earlier conversations
tandem router train|eval|sim|profile|convert|report   learn routers from profiled data
tandem mcp serve|token|config   files, sensors and the assistant as MCP servers
tandem team run "Q"           several agents (device, cloud, edge) collaborate on Q
tandem config path|show     where the settings live, and their values
tandem doctor [--json]      check this setup and say how to fix what is wrong
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from router.errors import TandemError


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="tandem",
        description="Tandem: a private assistant where an on-device model and cloud "
        "models work together. With no subcommand, opens the app.",
    )
    parser.add_argument("--web", action="store_true", help="serve the app for a browser")
    parser.add_argument("--port", type=int, default=None, help="port for --web (default: free)")
    parser.add_argument("--model", default=None, help="model spec: bundled, a name, or a .gguf")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show libraries' log messages (they always go to the log file in the data "
        "folder); accepted after a subcommand too",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", help="chat in the terminal")
    chat.add_argument(
        "--once", metavar="QUESTION", help="answer one question and exit ('-': stdin)"
    )
    chat.add_argument("--model", default=None, help="model spec: bundled, a name, or a .gguf")
    chat.add_argument("--session", default=None, help="continue this session id")
    chat.add_argument("--new", action="store_true", help="start a new conversation")

    models = sub.add_parser("models", help="list, pull and check local models")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    models_sub.add_parser("list", help="show available models and which one is active")
    pull = models_sub.add_parser("pull", help="download a GGUF from the Hugging Face hub")
    pull.add_argument("repo", help="repository id, e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF")
    pull.add_argument("file", help="GGUF file name in that repository")
    path = models_sub.add_parser("path", help="print the file path of a model (assembles bundled)")
    path.add_argument("spec", nargs="?", default=None, help="model spec (default: active)")

    edge = sub.add_parser("edge", help="serve this device's model to other devices")
    edge_sub = edge.add_subparsers(dest="edge_command", metavar="ACTION", required=True)
    serve = edge_sub.add_parser(
        "serve", help="serve an Anthropic- and OpenAI-compatible API backed by a local model"
    )
    serve.add_argument("--model", default=None, help="model spec: bundled, a name, or a .gguf")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8642, help="port (default 8642)")
    serve.add_argument("--api-key", default=None, help="require this key (x-api-key / Bearer)")
    serve.add_argument("--max-queue", type=int, default=8, help="requests waiting at most")

    endpoints = sub.add_parser("endpoints", help="off-device endpoints: list, test, keys")
    endpoints_sub = endpoints.add_subparsers(
        dest="endpoints_command", metavar="ACTION", required=True
    )
    endpoints_sub.add_parser("list", help="configured endpoints, reachability, latency, price")
    test = endpoints_sub.add_parser("test", help="send a tiny request to each endpoint")
    test.add_argument("name", nargs="?", default=None, help="only this endpoint")
    key = endpoints_sub.add_parser("key", help="save an endpoint's API key in the OS keyring")
    key.add_argument("name", help="endpoint name from the config")
    key.add_argument("--delete", action="store_true", help="remove the saved key")

    from app.privacy_cli import add_privacy_parser

    add_privacy_parser(sub)

    from app.memory_cli import add_memory_parser

    add_memory_parser(sub)

    from app.router_cli import add_router_parser

    add_router_parser(sub)

    from app.mcp_cli import add_mcp_parser

    add_mcp_parser(sub)

    from app.team_cli import add_team_parser

    add_team_parser(sub)

    from app.doctor_cli import add_doctor_parser

    add_doctor_parser(sub)

    config = sub.add_parser("config", help="show the settings and where they live")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser("path", help="print the config file and data folder")
    config_sub.add_parser("show", help="print the effective settings")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `tandem` command and return its exit code."""
    args = _parse(build_parser(), argv)
    from app.logs import routed_logs
    from app.shutdown import STOPPER

    with routed_logs(verbose=args.verbose):
        try:
            code = _dispatch(args)
        except TandemError as exc:
            print(f"tandem: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"  → {exc.hint}", file=sys.stderr)
            code = 2
        except KeyboardInterrupt:
            code = 128 + (STOPPER.signum or signal.SIGINT)
    STOPPER.finish(code)  # stopped by a signal: leave now, not when libraries' threads end
    return code


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    # `--verbose` is global but people type it last (`tandem chat --once hi --verbose`);
    # argparse only knows it before the subcommand, so a trailing one is taken here.
    args, extra = parser.parse_known_args(argv)
    unknown = [arg for arg in extra if arg != "--verbose"]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.verbose = args.verbose or bool(extra)
    return args


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "chat":
        from app.chat_cli import run_chat

        return run_chat(once=args.once, model=args.model, session=args.session, new=args.new)
    if args.command == "models":
        from app.models_cli import run_models

        return run_models(args)
    if args.command == "edge":
        from app.edge_cli import run_edge

        return run_edge(args)
    if args.command == "endpoints":
        from app.endpoints_cli import run_endpoints

        return run_endpoints(args)
    if args.command == "privacy":
        from app.privacy_cli import run_privacy

        return run_privacy(args)
    if args.command == "memory":
        from app.memory_cli import run_memory

        return run_memory(args)
    if args.command == "router":
        from app.router_cli import run_router

        return run_router(args)
    if args.command == "mcp":
        from app.mcp_cli import run_mcp

        return run_mcp(args)
    if args.command == "team":
        from app.team_cli import run_team_command

        return run_team_command(args)
    if args.command == "doctor":
        from app.doctor_cli import run_doctor

        return run_doctor(args)
    if args.command == "config":
        from app.models_cli import run_config

        return run_config(args.config_command)
    from app.gui.main import run_gui

    run_gui(web=args.web, port=args.port, model=args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
