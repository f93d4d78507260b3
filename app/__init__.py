"""Tandem's front ends: the `tandem` CLI (cli/), the Flet GUI (gui/), what both show (present/)."""
