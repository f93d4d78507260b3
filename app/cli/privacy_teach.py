"""`tandem privacy teach` and `tandem privacy taught`: names the user marked public or private.

tandem privacy teach public "Barack Obama"     send this name as it is, next time
tandem privacy teach private "Tom Hargreaves"  always redact it (even if public knowledge)
tandem privacy teach local "Tom Hargreaves"    keep any turn naming it on this device
tandem privacy teach mine "Tom Hargreaves"     keep it on your devices (this one, edges marked mine)
tandem privacy taught [--forget NAME]          list the taught names, or forget one

The choices are rules in the user's config.toml (`taught-public`, `taught-private`,
`taught-local`, `taught-mine`; see router/privacy/taught.py), saved the way every settings change
is: validated first, written atomically, a file that does not parse left alone.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from router.errors import TandemError
from router.paths import resolve_paths
from router.privacy.rules import PrivacyRule
from router.privacy.taught import TEACHINGS, forget, taught_names, teach
from router.settings.store import read_toml_file, update_settings, validate_user_config

_SAID = {
    "public": "will be sent as it is",
    "private": "will be redacted before anything is sent",
    "local": "will keep its turn on this device",
    "mine": "will keep its turn on your devices",
}


def add_teach_parsers(sub: Any) -> None:
    """Add `teach` and `taught` to the `tandem privacy` subparsers."""
    teach_parser = sub.add_parser(
        "teach", help="mark a name public (send it) or private (never send it)"
    )
    teach_parser.add_argument(
        "teaching", choices=TEACHINGS, help="public, private, local or mine (your devices)"
    )
    teach_parser.add_argument("name", help='the name, e.g. "Tom Hargreaves"')
    taught_parser = sub.add_parser("taught", help="list the names you marked; forget one")
    taught_parser.add_argument("--forget", default=None, metavar="NAME", help="forget NAME")


def run_teach(args: argparse.Namespace, out: TextIO) -> int:
    """Teach one name; raises `TandemError` (nothing written) when it cannot be taught."""
    rules = teach(_user_rules(), args.name, args.teaching)
    _save(rules)
    out.write(f"{' '.join(args.name.split())} {_SAID[args.teaching]} from the next message\n")
    return 0


def run_taught(args: argparse.Namespace, out: TextIO) -> int:
    """List the taught names, or forget `args.forget`."""
    if args.forget is not None:
        rules, found = forget(_user_rules(), args.forget)
        if not found:
            raise TandemError(
                f"{args.forget!r} is not a taught name", "see them with `tandem privacy taught`"
            )
        _save(rules)
        out.write(f"forgot {args.forget}; the default rules decide it from the next message\n")
        return 0
    names = taught_names(_user_rules())
    if not names:
        out.write("no taught names (teach one with `tandem privacy teach public|private NAME`)\n")
    for name, teaching in names:
        out.write(f"{teaching:<8} {name}\n")
    return 0


def _user_rules() -> list[PrivacyRule]:
    """The rules in the user's own config.toml (a file that does not parse raises)."""
    settings = validate_user_config(read_toml_file(resolve_paths().config_file))
    return list(settings.privacy.rules)


def _save(rules: list[PrivacyRule]) -> None:
    dumped = [rule.model_dump(exclude_defaults=True) for rule in rules]
    update_settings(resolve_paths().ensure(), {"privacy": {"rules": dumped}})
