"""The command table: every subcommand's parser and handler exist, in `--help`'s order."""

import importlib

from app.cli import build_parser
from app.cli.main import COMMANDS


def _function(ref: str) -> object:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def test_every_command_names_a_parser_and_a_handler_that_exist() -> None:
    for command in COMMANDS:
        assert callable(_function(command.add_parser)), command.add_parser
        assert callable(_function(command.run)), command.run


def test_the_parser_offers_exactly_the_table_s_commands_in_order() -> None:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]
    assert list(subparsers.choices) == [c.name for c in COMMANDS]  # type: ignore[arg-type]


def test_a_command_s_options_reach_its_handler() -> None:
    args = build_parser().parse_args(["chat", "--once", "hi", "--new"])
    assert (args.command, args.once, args.new, args.session) == ("chat", "hi", True, None)
