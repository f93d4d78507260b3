"""The command-line options of the LAN view, kept light: `tandem --help` imports this only.

`--lan` serves the app to paired phones (app/lan/service.py); `--lan-host` picks the address
it listens on. Names the server answers at besides its own addresses come from
`TANDEM_LAN_NAMES` (a LAN DNS name, or the name a test maps to loopback).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

NAMES_ENV = "TANDEM_LAN_NAMES"
"""Extra names the LAN view answers at (comma-separated); they are in its certificate too."""


@dataclass(frozen=True)
class LanLaunch:
    """`--lan`: where to serve the LAN view (None: its defaults, 0.0.0.0:8643)."""

    port: int | None = None
    host: str | None = None


def add_lan_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--lan` and `--lan-host` to the app's command line (`tandem`, `python -m app.gui`)."""
    parser.add_argument(
        "--lan",
        action="store_true",
        help="also serve the app over HTTPS to phones on your network, paired by a code "
        "(implies --web; --port is then the LAN port, default 8643)",
    )
    parser.add_argument(
        "--lan-host",
        default=None,
        help="address the LAN view listens on (default 0.0.0.0: every network); extra names "
        f"it answers at come from {NAMES_ENV}",
    )
