"""`tandem privacy scan` scans as a chat turn does, the name judge included.

With `[privacy] judge = "device"` a chat turn asks the device's own model about
public names whose context leaves them in doubt (router/privacy/judge.py); so does
the scan, loading the configured model the first time a text has such a name, and
it says what the model answered. With the judge off it says which names were in
doubt and stayed private.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType

from app.progress import terminal_progress
from router.endpoints.base import Endpoint
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.errors import TandemError
from router.models.manager import ModelManager
from router.paths import resolve_paths
from router.privacy.public import Undecided
from router.runtime.compose import scanner_for
from router.settings.config import Settings
from router.types import Finding, TurnRequest

SESSION = "privacy-scan"


class TurnScan:
    """Scans texts with the scanner a chat turn gets from `settings`, judge and all."""

    def __init__(self, settings: Settings) -> None:
        """Nothing loads yet: the model only when a text first has a name in doubt."""
        self.settings = settings
        self.scanner = scanner_for(settings, self._device_model)
        self.rules = self.scanner.rules
        self._model: LlamaCppEndpoint | None = None
        self._runner = asyncio.Runner()
        self._in_doubt: tuple[Undecided, ...] = ()
        self.model_error = ""
        """Why the device model could not judge, when it could not be set up."""

    def __enter__(self) -> TurnScan:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._model is not None:
            self._model.unload()  # stops its worker process
        self._runner.close()

    def findings(self, text: str) -> list[Finding]:
        """What a chat turn's scan of `text` finds (names in doubt judged if the judge is on)."""
        request = TurnRequest(text=text, session_id=SESSION)
        scanned = self.scanner.scan_names(request, [])
        self._in_doubt = scanned.undecided
        report = scanned.report
        if self.scanner.judge is not None and scanned.undecided:
            report = self._runner.run(self.scanner.scan_judged(request, []))
        return sorted(report.findings, key=lambda f: (f.start, f.end))

    def note(self) -> str:
        """One line on the last text's names in doubt: the judge's verdicts, or why private."""
        names = self._in_doubt
        if not names:
            return ""
        judge = self.scanner.judge
        if self.model_error:
            return f"{_listed(n.name for n in names)}: kept private ({self.model_error})"
        if judge is None:
            return (
                f"{_listed(n.name for n in names)}: undecided, kept private (judge off: "
                '[privacy] judge = "device" asks the device model)'
            )
        verdicts = (f"{n.name} -> {'public' if judge.said_public(n) else 'private'}" for n in names)
        return f"judged by the device model: {_listed(verdicts)}"

    def _device_model(self) -> Endpoint | None:
        """The configured device model, resolved and set up on first use; None if it cannot be."""
        if self._model is None and not self.model_error:
            paths = resolve_paths().ensure()
            manager = ModelManager(paths.models_dir, self.settings.local.model)
            try:
                path = manager.resolve(progress=terminal_progress("preparing bundled model"))
            except TandemError as exc:
                self.model_error = f"no device model to judge them: {exc.message}"
                return None
            self._model = LlamaCppEndpoint.from_settings(path, self.settings.local)
        return self._model


def _listed(items: Iterable[str]) -> str:
    """Items joined with commas, each once."""
    return ", ".join(dict.fromkeys(items))
