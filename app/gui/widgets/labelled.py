"""Icon buttons that screen readers (and browser tests) can find by name.

Flutter exposes an `IconButton`'s tooltip only on hover, so the icon itself
carries the label in the semantics tree.
"""

from __future__ import annotations

from typing import Any

import flet as ft


def icon_button(icon: ft.IconData, label: str, on_click: Any = None) -> ft.IconButton:
    """An icon button named `label` for assistive technology, with the same tooltip."""
    return ft.IconButton(
        icon=ft.Icon(icon, semantics_label=label), tooltip=label, on_click=on_click
    )


def set_icon(button: ft.IconButton, icon: ft.IconData, label: str) -> None:
    """Change a labelled icon button's icon and label (e.g. the theme toggle)."""
    button.icon = ft.Icon(icon, semantics_label=label)
    button.tooltip = label
