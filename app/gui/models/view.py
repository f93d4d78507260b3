"""The Models and endpoints section: the local model, the setup check, endpoints, routing.

Renders `ModelsViewModel` and `EndpointsViewModel` and forwards clicks; long
work (switching models, loading, downloading, connection tests, the setup
check) runs as page tasks, so the page stays responsive and shows progress meanwhile.
"""

from __future__ import annotations

import flet as ft

from app.doctor import Check
from app.gui.models.endpoints.view import EndpointsPanel
from app.gui.models.endpoints.view_model import EndpointsViewModel
from app.gui.models.view_model import POLICIES, ModelsViewModel
from app.gui.widgets import settings as w
from router import Runtime

# How each status of the setup check shows: icon, colour, label for screen readers.
_STATUS_LOOK = {
    "ok": (ft.Icons.CHECK_CIRCLE_OUTLINE, ft.Colors.GREEN_700, "ok"),
    "warn": (ft.Icons.WARNING_AMBER, ft.Colors.AMBER_800, "warning"),
    "problem": (ft.Icons.ERROR_OUTLINE, ft.Colors.RED_700, "problem"),
}

_POLICY_HELP = {
    "local": "every turn on this device",
    "prefer_remote": "the first reachable off-device endpoint, else this device",
    "rules": "your [[routing.rules]], then the fallback policy",
    "learned": "trades answer quality against cost and latency",
    "budget": "a trained planner spends the money and time left",
    "cascade": "answer here, escalate when the local answer looks unsure",
}


class ModelsView:
    """The controls of the Models and endpoints section for one page."""

    def __init__(self, page: ft.Page | None, vm: ModelsViewModel, endpoints: EndpointsPanel):
        self.page = page
        self.vm = vm
        self.endpoints = endpoints
        self.notice, self.error = w.message_line()
        self.model_list = ft.Column(spacing=4)
        self.state = ft.Text()
        self.memory = w.hint()
        self.progress = ft.ProgressBar(visible=False)
        self.progress_text = w.hint()
        self.load_button = ft.FilledTonalButton(
            "Load now", icon=ft.Icons.MEMORY, on_click=self._on_load
        )
        self.spec = ft.TextField(label="Model: bundled, a name, or a .gguf path", expand=True)
        self.use_button = ft.FilledButton("Use", icon=ft.Icons.CHECK, on_click=self._on_choose)
        self.repo = ft.TextField(label="Hugging Face repository", expand=True)
        self.file = ft.TextField(label="GGUF file in it", expand=True)
        self.pull_button = ft.OutlinedButton(
            "Download", icon=ft.Icons.DOWNLOAD, on_click=self._on_pull
        )
        self.policy = w.dropdown("Routing policy", vm.policy, list(POLICIES), self._on_policy)
        self.policy_help = w.hint()
        self.day = ft.TextField(label="Daily cap (USD)", width=160)
        self.month = ft.TextField(label="Monthly cap (USD)", width=160)
        self.latency = ft.TextField(label="Latency target (s)", width=160)
        self.setup_summary = ft.Text()
        self.setup_list = ft.Column(spacing=6)
        self.check_button = ft.OutlinedButton(
            "Check again", icon=ft.Icons.HEALTH_AND_SAFETY, on_click=self._on_check
        )
        self.root = self._layout()
        budgets = vm.budgets()
        self.day.value, self.month.value = budgets["day"], budgets["month"]
        self.latency.value = budgets["latency"]
        self.spec.value = vm.configured_spec

    def _layout(self) -> w.ShownColumn:
        """The controls, top to bottom."""
        return w.scrolling(
            w.title("Models and endpoints"),
            self.notice,
            self.error,
            w.card(
                w.subtitle("On this device"),
                ft.Row([self.state, self.load_button], wrap=True),
                self.memory,
                self.progress,
                self.progress_text,
                self.model_list,
                w.form_row(
                    (self.spec, 10),
                    (self.use_button, 2),
                ),
                w.form_row((self.repo, 5), (self.file, 5), (self.pull_button, 2)),
            ),
            w.card(
                ft.Row(
                    [w.subtitle("Setup check"), self.check_button],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                ),
                w.hint("The same report as `tandem doctor` in a terminal."),
                self.setup_summary,
                self.setup_list,
            ),
            self.endpoints.root,
            w.card(
                w.subtitle("Routing and budgets"),
                ft.Row([self.policy, self.policy_help], wrap=True),
                ft.Row(
                    [
                        self.day,
                        self.month,
                        self.latency,
                        ft.FilledButton("Save budgets", icon=ft.Icons.SAVE, on_click=self._on_save),
                    ],
                    wrap=True,
                ),
                w.hint("Leave a field empty for no limit. Off-device spending stops at a cap."),
            ),
        )

    def render(self) -> None:
        """Bring the controls in line with the view-models and push them to the browser."""
        vm = self.vm
        w.show_messages(self.notice, self.error, vm.outcome.notice, vm.outcome.error)
        # They differ only when Tandem started with another model (--model, TANDEM_LOCAL__MODEL).
        overridden = vm.configured_spec != vm.active_spec
        self.state.value = (
            f"Model: {vm.active_spec} — "
            + (
                "switching…"
                if vm.busy == "switching"
                else "loaded"
                if vm.loaded
                else "loads with the first message"
            )
            + (
                f" (the settings name {vm.configured_spec}; press Use to switch)"
                if overridden
                else ""
            )
        )
        self.memory.value = vm.memory_text()
        self.progress.visible = vm.busy is not None
        self.progress.value = vm.progress
        self.progress_text.value = vm.progress_text
        self.load_button.disabled = vm.busy is not None or vm.loaded
        self.pull_button.disabled = self.use_button.disabled = vm.busy is not None
        self.model_list.controls = [
            ft.Row(
                [
                    ft.Icon(
                        ft.Icons.RADIO_BUTTON_CHECKED if m.active else ft.Icons.RADIO_BUTTON_OFF,
                        size=16,
                    ),
                    ft.Text(m.name, weight=ft.FontWeight.BOLD if m.active else None),
                    w.hint(
                        f"{m.source} · {m.size_bytes / 1e6:,.0f} MB · "
                        + ("ready" if m.ready else "missing")
                        + (f" · {m.note}" if m.note else "")
                    ),
                ]
            )
            for m in vm.models()
        ]
        self._render_checks()
        self.policy.value = vm.policy
        basis = vm.policy_basis()
        help_text = _POLICY_HELP.get(vm.policy, "")
        self.policy_help.value = f"{help_text} · {basis}" if basis else help_text
        self.endpoints.render()
        w.refresh(self.root)

    def _render_checks(self) -> None:
        vm = self.vm
        self.setup_summary.value = vm.setup_summary()
        self.check_button.disabled = vm.checking
        self.setup_list.controls = [_check_row(c) for c in vm.checks or []]

    async def _on_check(self) -> None:
        await self.vm.check_setup()

    async def _on_load(self) -> None:
        await self.vm.load_model()

    async def _on_pull(self) -> None:
        await self.vm.pull(self.repo.value or "", self.file.value or "")

    async def _on_choose(self) -> None:
        await self.vm.choose_model(self.spec.value or "")

    def _on_policy(self, policy: str) -> None:
        self.vm.set_policy(policy)

    def _on_save(self) -> None:
        self.vm.set_budgets(self.day.value or "", self.month.value or "", self.latency.value or "")


def _check_row(check: Check) -> ft.Control:
    """One line of the setup check: status icon, title, detail, and the fix to copy."""
    icon, color, label = _STATUS_LOOK[check.status]
    lines: list[ft.Control] = [
        ft.Text(check.title, weight=ft.FontWeight.BOLD),
        ft.Text(check.detail, size=12, selectable=True),
    ]
    if check.fix and check.status != "ok":
        lines.append(
            ft.Text(f"fix: {check.fix}", size=12, selectable=True, font_family="monospace")
        )
    return ft.Row(
        [
            ft.Icon(icon, color=color, size=18, tooltip=label, semantics_label=label),
            ft.Column(lines, spacing=2, expand=True),
        ],
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def build_models_view(page: ft.Page, runtime: Runtime) -> ft.Control:
    """Return the Models and endpoints section for `page`, driven by `runtime`."""
    panel = EndpointsPanel(EndpointsViewModel(runtime))
    view = ModelsView(page, ModelsViewModel(runtime), panel)
    view.vm.on_change = view.render
    # Re-read on each visit: chat turns change the log, other tabs the settings.
    view.root.when_shown(view.render)
    panel.vm.on_change = view.render
    view.render()
    # Once per page: loading the models to check them takes seconds, in a thread.
    page.run_task(view.vm.check_setup)
    return view.root
