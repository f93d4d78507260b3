"""`tandem`, the command line: `main` runs it, `build_parser` describes it.

Each subcommand lives in its own module here (chat, models, edge, endpoints,
privacy, memory, router, mcp, team, doctor); `app.cli.main.COMMANDS` maps the
command names to them.
"""

from app.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
