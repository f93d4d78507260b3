"""`tandem`: the command-line entry point.

tandem                      launch the GUI (desktop window, else the web view)
tandem --web [--port N]     serve the GUI on 127.0.0.1 for a browser
tandem --web --lan [--port N]   also serve it over HTTPS to paired phones on the LAN
tandem devices list|revoke  the phones paired with --lan
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
import importlib
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.lan.options import add_lan_arguments
from router import TandemError


@dataclass(frozen=True)
class Command:
    """One subcommand: where its parser and its handler live, as "module:function".

    Both are imported only when used, so `tandem chat` never loads the router
    trainer and `tandem --help` loads no model code.
    """

    name: str
    add_parser: str
    """Function that adds the subcommand to argparse's subparsers."""
    run: str
    """Function that runs it: `(args: argparse.Namespace) -> int`, the exit code."""


COMMANDS: tuple[Command, ...] = (
    Command("chat", "app.cli.parsers:add_chat_parser", "app.cli.chat:run_chat_command"),
    Command("models", "app.cli.parsers:add_models_parser", "app.cli.models:run_models"),
    Command("edge", "app.cli.parsers:add_edge_parser", "app.cli.edge:run_edge"),
    Command("endpoints", "app.cli.parsers:add_endpoints_parser", "app.cli.endpoints:run_endpoints"),
    Command("privacy", "app.cli.privacy:add_privacy_parser", "app.cli.privacy:run_privacy"),
    Command("memory", "app.cli.memory:add_memory_parser", "app.cli.memory:run_memory"),
    Command("router", "app.cli.router:add_router_parser", "app.cli.router:run_router"),
    Command("mcp", "app.cli.mcp:add_mcp_parser", "app.cli.mcp:run_mcp"),
    Command("team", "app.cli.team:add_team_parser", "app.cli.team:run_team_command"),
    Command("devices", "app.cli.devices:add_devices_parser", "app.cli.devices:run_devices"),
    Command("doctor", "app.cli.doctor:add_doctor_parser", "app.cli.doctor:run_doctor"),
    Command("config", "app.cli.parsers:add_config_parser", "app.cli.models:run_config_command"),
)
"""Every subcommand, in the order `tandem --help` lists them; no subcommand opens the app."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="tandem",
        description="Tandem: a private assistant where an on-device model and cloud "
        "models work together. With no subcommand, opens the app.",
    )
    parser.add_argument("--web", action="store_true", help="serve the app for a browser")
    parser.add_argument("--port", type=int, default=None, help="port for --web (default: free)")
    add_lan_arguments(parser)
    parser.add_argument("--model", default=None, help="model spec: bundled, a name, or a .gguf")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show libraries' log messages (they always go to the log file in the data "
        "folder); accepted after a subcommand too",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        _load(command.add_parser)(sub)
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
    for command in COMMANDS:
        if command.name == args.command:
            handler: Callable[[argparse.Namespace], int] = _load(command.run)
            return handler(args)
    from app.gui.main import run_gui

    run_gui(web=args.web, port=args.port, model=args.model, lan=args.lan, lan_host=args.lan_host)
    return 0


def _load(ref: str) -> Any:
    """Return the function `ref` ("package.module:function") names, importing its module."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)
