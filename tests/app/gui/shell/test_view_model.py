"""The shell's navigation, layout and theme rules, without Flet."""

import pytest

from app.gui.shell.view_model import (
    COMPACT_WIDTH,
    SECTIONS,
    Section,
    ShellViewModel,
    sections_for,
)


def test_the_sections_are_the_issue_s_six_and_phones_in_order() -> None:
    labels = ["Chat", "Team", "Privacy", "Models", "MCP", "Phones", "Dashboard"]
    assert [s.label for s in SECTIONS] == labels
    assert [s.builder for s in SECTIONS][2:] == [
        "build_privacy_view",
        "build_models_view",
        "build_mcp_view",
        "build_phones_view",
        "build_dashboard_view",
    ]


def test_select_switches_sections_and_ignores_bad_indexes() -> None:
    changes: list[str] = []
    vm = ShellViewModel(on_change=lambda: changes.append(vm.current.key))
    vm.select(vm.index_of("privacy"))
    vm.select(vm.index_of("privacy"))  # already there: no change
    vm.select(99)
    vm.select(-1)
    assert changes == ["privacy"]
    with pytest.raises(KeyError, match="no section 'nope'"):
        vm.index_of("nope")


def test_resize_switches_between_rail_and_bar_only_at_the_threshold() -> None:
    changes: list[bool] = []
    vm = ShellViewModel(on_change=lambda: changes.append(vm.compact))
    vm.resize(1280)
    vm.resize(None)  # unknown width (page not laid out yet): keep the layout
    vm.resize(COMPACT_WIDTH - 1)
    vm.resize(400)
    vm.resize(COMPACT_WIDTH)
    assert changes == [True, False]


def test_the_theme_toggles_and_its_button_says_what_it_does() -> None:
    vm = ShellViewModel()
    assert vm.theme == "light" and vm.theme_toggle_label == "Dark theme"
    vm.toggle_theme()
    assert vm.theme == "dark" and vm.theme_toggle_label == "Light theme"
    vm.toggle_theme()
    assert vm.theme == "light"


def test_a_shell_needs_sections() -> None:
    with pytest.raises(ValueError, match="at least one section"):
        ShellViewModel(())
    only = Section("chat", "Chat", "CHAT", "CHAT", "app.gui.chat.section")
    assert ShellViewModel((only,)).current is only


def test_a_paired_phone_s_page_has_no_phones_section_and_keeps_the_rest() -> None:
    # From Phones a phone could pair more devices, revoke others or stop serving.
    on_phone = [s.key for s in sections_for(paired_phone=True)]
    assert "phones" not in on_phone and on_phone[0] == "chat"
    assert on_phone == [s.key for s in SECTIONS if s.key != "phones"]
    assert sections_for(paired_phone=False) == SECTIONS
