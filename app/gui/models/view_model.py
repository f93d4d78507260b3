"""The Models section's state: the local model, the routing policy and the budgets.

Plain Python (no Flet). Long work (switching to, assembling, loading or
downloading a model) runs off the GUI's loop and reports progress through
`busy`/`progress`/`progress_text`. A chosen model is switched to at once, no
restart (`Runtime.switch_model`).
The off-device endpoints have their own view-model (endpoints/view_model.py).
The setup check is `tandem doctor`'s report (app/doctor/), run in a thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.doctor import Check, run_checks
from app.gui.outcome import ActionOutcome
from mcp_servers.sensors_host import host_psutil
from router import ModelEntry, Runtime, TandemError, save_and_apply
from router.policy.basis import policy_basis
from router.settings.store import updated_document

POLICIES = ("local", "prefer_remote", "rules", "learned", "budget", "cascade")
_MB = 1e6


@dataclass
class ModelsViewModel:
    """State and actions of the local model and routing part of the Models section."""

    runtime: Runtime
    on_change: Callable[[], None] = field(default=lambda: None)
    busy: str | None = None
    """What long job is running ("switching", "loading", "downloading"), or None."""
    progress: float | None = None
    """Share done in [0, 1], or None when unknown (an indeterminate bar)."""
    progress_text: str = ""
    outcome: ActionOutcome = field(init=False)
    """How the last action ended (its error or notice)."""
    checks: list[Check] | None = None
    """The last setup check (`tandem doctor`'s report); None until it has run."""
    checking: bool = False
    _basis: tuple[str, str] = ("", "")
    """(the routing settings it was read for, as JSON; the line): `render` runs on every
    progress tick, and reading the artifacts again each time would be wasted I/O."""

    def __post_init__(self) -> None:
        # A lambda, not the callable itself: the view sets `on_change` after construction.
        self.outcome = ActionOutcome(lambda: self.on_change())

    # --- setup check (`tandem doctor`) ------------------------------------------------

    async def check_setup(self) -> list[Check]:
        """Run `tandem doctor`'s checks against this app's settings, off the GUI's loop.

        It loads the embedding and NER models to prove they work (seconds the
        first time; the app reuses them afterwards).
        """
        if self.checking:
            return self.checks or []
        self.checking = True
        self.on_change()
        runtime = self.runtime
        try:
            self.checks = await asyncio.to_thread(run_checks, runtime.paths, runtime.settings)
        finally:
            self.checking = False
            self.on_change()
        return self.checks

    def setup_summary(self) -> str:
        """One line over the setup check: how many problems and warnings it found."""
        if self.checks is None:
            return "checking…" if self.checking else "not checked yet"
        found = sum(c.status == "problem" for c in self.checks)
        warned = sum(c.status == "warn" for c in self.checks)
        if not found and not warned:
            return "everything looks fine"
        return f"{found} problem(s), {warned} warning(s): the fix is under each"

    # --- local model -------------------------------------------------------------

    def models(self) -> list[ModelEntry]:
        """The models this device has (the bundled one, downloads, the active file)."""
        return self.runtime.models.list_models()

    @property
    def active_spec(self) -> str:
        """The model this running Tandem uses (`bundled`, a name or a path)."""
        return self.runtime.models.active_spec

    @property
    def configured_spec(self) -> str:
        """The model the settings name; differs from `active_spec` only when overridden at start."""
        return self.runtime.settings.local.model

    @property
    def loaded(self) -> bool:
        """Whether the local model's weights are in memory."""
        return bool(getattr(self.runtime.local, "loaded", False))

    def memory_text(self) -> str:
        """This process's memory use, which is mostly the loaded model."""
        psutil = host_psutil()
        if psutil is None:
            return "Tandem's memory use is unknown (psutil is not installed)"
        rss = psutil.Process().memory_info().rss
        return f"Tandem uses {rss / _MB:,.0f} MB of memory" + (
            " (model loaded)" if self.loaded else " (model not loaded yet)"
        )

    async def choose_model(self, spec: str) -> bool:
        """Switch to model `spec` (`bundled`, a model name or a .gguf path) now, and save it.

        The switch waits for replies being written (see `Runtime.switch_model`);
        when it fails, the model in use stays and nothing is saved.
        """
        spec = spec.strip()
        if not spec:
            return self.outcome.fail(
                TandemError("no model given", "pick a model or type a .gguf path")
            )
        return await self._job("switching", f"switching to {spec}…", lambda: self._switch(spec))

    async def _switch(self, spec: str) -> None:
        runtime = self.runtime
        change = {"local": {"model": spec}}
        updated_document(runtime.paths, change)  # a value the settings refuse fails before
        previous = runtime.models.active_spec
        await runtime.switch_model(spec, progress=self._thread_progress(spec))
        try:
            save_and_apply(runtime, change)
        except TandemError:
            await runtime.switch_model(previous)  # unsaved, so back to the model saved
            raise
        self.outcome.notice = f"now using {spec}"

    def _thread_progress(self, spec: str) -> Callable[[int, int], None]:
        """A progress callback for the worker thread that shows it on the GUI's loop."""
        loop = asyncio.get_running_loop()

        def show(done: int, total: int) -> None:
            if total and done < total:
                self.progress = done / total
                self.progress_text = f"preparing {spec}: {done / _MB:,.0f} of {total / _MB:,.0f} MB"
            else:
                self.progress, self.progress_text = None, f"loading {spec}…"
            self.on_change()

        def from_thread(done: int, total: int) -> None:
            loop.call_soon_threadsafe(show, done, total)

        return from_thread

    async def load_model(self) -> bool:
        """Load the local model's weights now (they otherwise load on the first message)."""
        return await self._job("loading", "loading the model…", self._load)

    async def _load(self) -> None:
        await self.runtime.local.prepare()
        self.outcome.notice = "model loaded"

    async def pull(self, repo_id: str, filename: str) -> bool:
        """Download `filename` (a .gguf) from Hugging Face repo `repo_id` into the models folder."""
        if not repo_id.strip() or not filename.strip():
            return self.outcome.fail(
                TandemError("give a repository and a file", "e.g. Qwen/…-GGUF")
            )
        return await self._job(
            "downloading", f"downloading {filename}…", lambda: self._pull(repo_id, filename)
        )

    async def _pull(self, repo_id: str, filename: str) -> None:
        manager = self.runtime.models
        stop = threading.Event()
        watcher = asyncio.create_task(self._watch_download(manager.models_dir, stop))
        try:
            path = await asyncio.to_thread(manager.pull, repo_id.strip(), filename.strip())
        finally:
            stop.set()
            await watcher
        self.outcome.notice = f"downloaded {path.name}; choose it below to use it"

    async def _watch_download(self, folder: Path, stop: threading.Event) -> None:
        # huggingface_hub writes `<file>.incomplete` under the folder's .cache while it downloads.
        while not stop.is_set():
            partial = sum(p.stat().st_size for p in folder.glob(".cache/**/*.incomplete"))
            if partial:
                self.progress_text = f"downloaded {partial / _MB:,.0f} MB…"
                self.on_change()
            await asyncio.sleep(0.5)

    async def _job(self, name: str, text: str, work: Callable[[], Any]) -> bool:
        if self.busy:
            return False
        self.busy, self.progress, self.progress_text, self.outcome.error = name, None, text, None
        self.outcome.notice = ""
        self.on_change()
        try:
            await work()
        except TandemError as exc:
            return self.outcome.fail(exc)
        finally:
            self.busy, self.progress, self.progress_text = None, None, ""
        return self.outcome.done()

    # --- routing and budgets ---------------------------------------------------------

    @property
    def policy(self) -> str:
        """The routing policy in force."""
        return self.runtime.settings.routing.policy

    def policy_basis(self) -> str:
        """What the policy in force learned from and its held-out figure ("" for none)."""
        routing = self.runtime.settings.routing
        key = routing.model_dump_json()
        if self._basis[0] != key:
            self._basis = (key, policy_basis(routing.policy, routing))
        return self._basis[1]

    def budgets(self) -> dict[str, str]:
        """The money caps and latency target as text for the form ("" when unset)."""
        routing = self.runtime.settings.routing
        values = {
            "day": routing.budget_per_day_usd,
            "month": routing.budget_per_month_usd,
            "latency": routing.latency_target_s,
        }
        return {k: "" if v is None else f"{v:g}" for k, v in values.items()}

    def set_policy(self, policy: str) -> bool:
        """Route the next turns with `policy`."""
        try:
            if policy not in POLICIES:
                raise TandemError(f"unknown policy {policy!r}", f"use one of {', '.join(POLICIES)}")
            save_and_apply(self.runtime, {"routing": {"policy": policy}})
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = f"routing policy: {policy}; applies from the next message"
        return self.outcome.done()

    def set_budgets(self, day: str, month: str, latency: str) -> bool:
        """Save the daily and monthly USD caps and the latency target (empty: none)."""
        try:
            routing = {
                "budget_per_day_usd": _number(day, "daily budget"),
                "budget_per_month_usd": _number(month, "monthly budget"),
                "latency_target_s": _number(latency, "latency target"),
            }
            save_and_apply(self.runtime, {"routing": routing})
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = "budgets saved; apply from the next message"
        return self.outcome.done()


def _number(text: str, what: str) -> float | None:
    """Parse a positive number typed by the user; "" is None (no limit)."""
    text = text.strip().lstrip("$").replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise TandemError(f"the {what} {text!r} is not a number", "type e.g. 1.50") from None
    if value < 0:
        raise TandemError(f"the {what} cannot be negative", "type 0 or more, or leave it empty")
    return value
