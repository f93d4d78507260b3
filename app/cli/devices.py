"""`tandem devices list|revoke ID`: the phones paired with `tandem --web --lan`.

Reads the same file as the running server (app/lan/devices.py), which notices a change on
its next request: a revoked phone is refused from then on, without a restart.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from app.lan.devices import PairedDevice, PairedDevices, devices_file
from router import resolve_paths


def add_devices_parser(subparsers: Any) -> None:
    """Add `tandem devices list|revoke`."""
    devices = subparsers.add_parser(
        "devices", help="phones paired with `tandem --web --lan`: list, revoke"
    )
    actions = devices.add_subparsers(dest="devices_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="paired devices, newest first, with when each was last seen")
    revoke = actions.add_parser("revoke", help="refuse a paired device from now on")
    revoke.add_argument("device_id", metavar="ID", help="its id, from `tandem devices list`")


def run_devices(args: argparse.Namespace) -> int:
    """Run a `tandem devices` action and return the exit code."""
    store = PairedDevices(devices_file(resolve_paths().data_dir))
    if args.devices_command == "revoke":
        store.revoke(args.device_id)
        print(f"Revoked {args.device_id}: that device is refused from its next request on.")
        return 0
    listed = store.list()
    if not listed:
        print("No phones are paired yet: start `tandem --web --lan` and scan its QR code.")
        return 0
    print(f"{'ID':<10}{'NAME':<28}{'PAIRED':<18}{'LAST SEEN':<18}")
    for device in listed:
        print(_row(device))
    return 0


def _row(device: PairedDevice) -> str:
    name = device.name if len(device.name) <= 26 else device.name[:25] + "…"
    seen = _when(device.last_seen) if device.last_seen else "never"
    state = "  (revoked)" if device.revoked else ""
    paired = _when(device.paired_at)
    return f"{device.device_id:<10}{name:<28}{paired:<18}{seen:<18}{state}".rstrip()


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
