"""The Privacy section: renders a `PrivacyViewModel` and forwards edits to it.

The rules editor, detector switches, a test bench (the findings highlighted in
the sample text) and the log of turns kept local, kept on the user's devices, or
redacted.
"""

from __future__ import annotations

from typing import cast

import flet as ft

from app.gui.privacy.view_model import JudgeMode, NamesMode, PrivacyViewModel, RuleForm
from app.gui.widgets import settings as w
from app.gui.widgets.labelled import icon_button
from router import FindingAction, PrivacyRule, Runtime

_HIGHLIGHT = {
    "keep_local": ft.Colors.RED_200,
    "keep_mine": ft.Colors.ORANGE_200,
    "redact": ft.Colors.AMBER_200,
}
_SUMMARY_COLOR = {
    "keep_local": ft.Colors.RED_900,
    "keep_mine": ft.Colors.ORANGE_900,
    "redact": ft.Colors.AMBER_900,
}
ACTIONS = ["keep_local", "keep_mine", "redact", "allow"]
"""The rule actions, strictest first (router/privacy/zones.py)."""


class _RuleEditor:
    """The form that adds a rule or edits one; hidden until asked for."""

    def __init__(self, view: PrivacyView) -> None:
        self.view = view
        self.index: int | None = None
        self._enabled = True
        self.name = ft.TextField(label="Name", width=200)
        self.action = w.dropdown("Action", "keep_local", ACTIONS, lambda _: None, width=160)
        self.reason = ft.TextField(label="Reason (shown with each turn it decides)", expand=True)
        self.keywords = ft.TextField(label="Keywords or phrases, comma-separated", expand=True)
        self.types = ft.TextField(label="Finding types, e.g. EMAIL_ADDRESS, PERSON", expand=True)
        self.names = ft.TextField(
            label="Names of people, places, organisations, comma-separated", expand=True
        )
        self.categories = ft.TextField(label="Topic categories, e.g. health", expand=True)
        self.paths = ft.TextField(label="Attachment paths (globs), e.g. */medical/*", expand=True)
        self.heading = w.subtitle("New rule")
        self.box = w.card(
            self.heading,
            w.form_row((self.name, 3), (self.action, 3), (self.reason, 6)),
            w.form_row((self.keywords, 6), (self.types, 6)),
            w.form_row((self.names, 12)),
            w.form_row((self.categories, 6), (self.paths, 6)),
            ft.Row(
                [
                    ft.FilledButton("Save rule", icon=ft.Icons.SAVE, on_click=self._save),
                    ft.TextButton("Cancel", on_click=self.close),
                ]
            ),
        )
        self.box.visible = False

    def open(self, index: int | None, rule: PrivacyRule | None) -> None:
        """Show the form, empty (a new rule) or filled with rule `index`."""
        self.index = index
        form = RuleForm.of(rule) if rule else RuleForm()
        self.heading.value = f"Edit rule {rule.name!r}" if rule else "New rule"
        self.name.value, self.reason.value = form.name, form.reason
        self.action.value = form.action
        self.keywords.value, self.types.value = form.keywords, form.types
        self.names.value = form.names
        self.categories.value, self.paths.value = form.categories, form.paths
        self._enabled = form.enabled
        self.box.visible = True
        self.view.render()

    def close(self) -> None:
        """Hide the form without saving."""
        self.box.visible = False
        self.view.render()

    def _save(self) -> None:
        form = RuleForm(
            name=self.name.value or "",
            action=cast(FindingAction, self.action.value or "keep_local"),
            reason=self.reason.value or "",
            keywords=self.keywords.value or "",
            names=self.names.value or "",
            types=self.types.value or "",
            categories=self.categories.value or "",
            paths=self.paths.value or "",
            enabled=self._enabled,
        )
        vm = self.view.vm
        ok = vm.add_rule(form) if self.index is None else vm.update_rule(self.index, form)
        if ok:
            self.close()


class PrivacyView:
    """The controls of the Privacy section for one page."""

    def __init__(self, vm: PrivacyViewModel) -> None:
        self.vm = vm
        self.notice, self.error = w.message_line()
        self.editor = _RuleEditor(self)
        self.rule_list = ft.Column(spacing=4)
        self.ner = ft.Switch(label="Names, places, organisations (NER)", on_change=self._on_ner)
        self.topics = ft.Switch(label="Sensitive topics (health, …)", on_change=self._on_topics)
        self.ner_banner_text = ft.Text(selectable=True, color=ft.Colors.BLACK, expand=True)
        self.ner_banner = ft.Container(
            ft.Row(
                [ft.Icon(ft.Icons.WARNING_AMBER, color=ft.Colors.AMBER_900), self.ner_banner_text]
            ),
            bgcolor=ft.Colors.AMBER_100,
            padding=12,
            border_radius=ft.BorderRadius.all(8),
            visible=False,
        )
        self.names = w.dropdown(
            "Name-like words", vm.names, ["strict", "standard"], self._on_names, width=200
        )
        # Public names in a task or a long text: kept private, or judged by the device model.
        self.judge = w.dropdown(
            "Public names in doubt", vm.judge, ["off", "device"], self._on_judge, width=200
        )
        self.sample = ft.TextField(
            label="Sample text to test", multiline=True, min_lines=2, max_lines=5, expand=True
        )
        self.test_button = ft.FilledButton("Test", icon=ft.Icons.SEARCH, on_click=self._on_test)
        self.test_summary = ft.Text(weight=ft.FontWeight.BOLD)
        self.highlighted = ft.Text(selectable=True)
        self.findings = ft.Column(spacing=2)
        self.log_list = ft.Column(spacing=4)
        self.root = self._layout()

    def _layout(self) -> w.ShownColumn:
        """The controls, top to bottom."""
        defaults = ft.ExpansionTile(
            title="Built-in rules (tried after yours)",
            controls=[_rule_line(r) for r in self.vm.default_rules],
        )
        return w.scrolling(
            w.title("Privacy"),
            w.hint(
                "Your rules are tried first, top to bottom; the first that matches a finding "
                "decides it. A turn takes the strictest decision: keep local (this device) > "
                "keep mine (this device and the edges you marked mine) > redact > allow."
            ),
            self.notice,
            self.error,
            self.ner_banner,
            w.card(
                w.subtitle("Detectors"),
                ft.Row([self.ner, self.topics, self.names, self.judge], wrap=True),
                w.hint(
                    "A public name in a task or a long text may be your own matter: off keeps "
                    "it private; device asks this device's model, and only a clear 'public' "
                    "sends it."
                ),
            ),
            w.card(
                ft.Row(
                    [
                        w.subtitle("Your rules"),
                        ft.FilledTonalButton("Add rule", icon=ft.Icons.ADD, on_click=self._on_add),
                    ],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                ),
                self.editor.box,
                self.rule_list,
                defaults,
            ),
            w.card(
                w.subtitle("Test a text"),
                ft.Row(
                    [self.sample, self.test_button], vertical_alignment=ft.CrossAxisAlignment.END
                ),
                self.test_summary,
                self.highlighted,
                self.findings,
            ),
            w.card(
                ft.Row(
                    [
                        w.subtitle("Kept local, on your devices, or redacted"),
                        icon_button(ft.Icons.REFRESH, "Refresh", self.render),
                    ],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                ),
                self.log_list,
            ),
        )

    def render(self) -> None:
        """Bring the controls in line with the view-model and push them to the browser."""
        vm = self.vm
        w.show_messages(self.notice, self.error, vm.notice, vm.error)
        self.ner.value, self.topics.value, self.names.value = vm.ner, vm.topics, vm.names
        self.judge.value = vm.judge
        missing = vm.ner_missing
        self.ner_banner.visible = missing is not None
        self.ner_banner_text.value = missing or ""
        self.ner.label = "Names, places, organisations (NER)" + (
            " — not installed" if missing else ""
        )
        self.rule_list.controls = [self._rule_row(i, r) for i, r in enumerate(vm.rules)] or [
            w.hint("No rules of your own yet: add one, e.g. keywords `project Falcon`.")
        ]
        self.test_button.disabled = vm.testing
        self._render_test()
        entries = vm.log()
        self.log_list.controls = [
            ft.Row(
                [
                    w.action_chip(e.action),
                    ft.Text(e.when.strftime("%Y-%m-%d %H:%M"), size=12),
                    ft.Text(f"{e.excerpt} — {e.reason}", size=12, expand=True),
                ]
            )
            for e in entries
        ] or [w.hint("Nothing kept local, on your devices, or redacted yet.")]
        w.refresh(self.root)

    def _render_test(self) -> None:
        test = self.vm.test
        if self.vm.testing:
            self.test_summary.value = "scanning…"
        if test is None:
            return
        self.test_summary.value = test.summary
        self.test_summary.color = _SUMMARY_COLOR.get(test.action, ft.Colors.GREEN_900)
        self.highlighted.spans = [
            ft.TextSpan(
                s.text,
                style=ft.TextStyle(bgcolor=_HIGHLIGHT.get(s.action or "", ft.Colors.BLUE_100))
                if s.finding
                else None,
            )
            for s in test.segments
        ]
        self.findings.controls = [ft.Text(line, size=12) for line in test.findings]

    def _rule_row(self, index: int, rule: PrivacyRule) -> ft.Control:
        last = len(self.vm.rules) - 1

        def toggle(e: ft.Event[ft.Switch]) -> None:
            self.vm.set_enabled(index, bool(e.control.value))

        up = icon_button(ft.Icons.ARROW_UPWARD, "Move up", lambda: self.vm.move_rule(index, -1))
        down = icon_button(
            ft.Icons.ARROW_DOWNWARD, "Move down", lambda: self.vm.move_rule(index, +1)
        )
        up.disabled, down.disabled = index == 0, index == last
        return ft.Row(
            [
                ft.Switch(value=rule.enabled, on_change=toggle, tooltip="Enabled"),
                ft.Container(_rule_line(rule), expand=True),
                up,
                down,
                icon_button(ft.Icons.EDIT, "Edit", lambda: self.editor.open(index, rule)),
                icon_button(ft.Icons.DELETE, "Delete", lambda: self.vm.delete_rule(index)),
            ]
        )

    def _on_add(self) -> None:
        self.editor.open(None, None)

    def _on_ner(self, e: ft.Event[ft.Switch]) -> None:
        self.vm.set_detectors(ner=bool(e.control.value))

    def _on_topics(self, e: ft.Event[ft.Switch]) -> None:
        self.vm.set_detectors(topics=bool(e.control.value))

    def _on_names(self, value: str) -> None:
        self.vm.set_detectors(names=cast(NamesMode, value))

    def _on_judge(self, value: str) -> None:
        self.vm.set_detectors(judge=cast(JudgeMode, value))

    async def _on_test(self) -> None:
        await self.vm.test_text(self.sample.value or "")


def _rule_line(rule: PrivacyRule) -> ft.Control:
    what = [
        *(f"“{k}”" for k in rule.keywords),
        *(f"name {n}" for n in rule.names),
        *rule.types,
        *(f"topic {c}" for c in rule.categories),
        *(f"path {p}" for p in rule.paths),
        *(f"server {s}" for s in rule.mcp_servers),
        *(f"tool {t}" for t in rule.mcp_tools),
    ]
    return ft.Row(
        [
            w.action_chip(rule.action),
            ft.Text(rule.name, weight=ft.FontWeight.BOLD),
            ft.Text(f"{', '.join(what)} — {rule.reason}", size=12, expand=True),
        ],
        wrap=False,
    )


def build_privacy_view(page: ft.Page, runtime: Runtime) -> ft.Control:
    """Return the Privacy section for `page`, driven by `runtime` (rules apply to its next turn)."""
    view = PrivacyView(PrivacyViewModel(runtime))
    view.vm.on_change = view.render
    # Re-read on each visit: chat turns change the log, other tabs the settings.
    view.root.when_shown(view.render)
    view.render()
    return view.root
