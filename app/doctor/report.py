"""The whole report: the settings check, then every other check in reading order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.doctor.check import Check, CheckFn, Context, shell_quote
from app.doctor.host import check_chromium, check_data
from app.doctor.local_model import check_cpu, check_llama, check_model, check_selftest
from app.doctor.memory import check_embedding
from app.doctor.privacy import check_keyring, check_ner
from router import TandemPaths, pip_install_command, resolve_paths

if TYPE_CHECKING:
    from router import Settings


def run_checks(
    paths: TandemPaths | None = None, settings: Settings | None = None, *, load: bool = True
) -> list[Check]:
    """Run every check and return the report, in reading order; never raises.

    `settings` are the running app's (the GUI passes its own); None loads them
    from `paths`' config file, and a broken file becomes the first problem.
    """
    paths = paths or resolve_paths()
    checks: list[Check] = []
    if settings is None:
        config_check, settings = _config(paths)
        checks.append(config_check)
    else:
        checks.append(Check("config", "Settings", "ok", f"in use (file: {paths.config_file})"))
    context = Context(paths=paths, settings=settings, load=load)
    for check in CHECKS:
        checks.append(_guarded(check, context))
    return checks


def problems(checks: list[Check]) -> list[Check]:
    """The checks whose status is `problem` (what makes `tandem doctor` exit 1)."""
    return [c for c in checks if c.status == "problem"]


def _guarded(check: CheckFn, context: Context) -> Check:
    """Run `check`; an exception in it becomes a `problem` line naming the check."""
    try:
        return check(context)
    except Exception as exc:  # a broken install must give a report, not a traceback
        name = check.__name__.removeprefix("check_")
        return Check(
            name,
            _TITLES.get(name, name),
            "problem",
            f"the check itself failed: {type(exc).__name__}: {exc}",
            pip_install_command(force=True),
        )


# --- settings -----------------------------------------------------------------------


def _config(paths: TandemPaths) -> tuple[Check, Settings | None]:
    file = paths.config_file
    try:
        from router import load_settings

        settings = load_settings(paths)
    except Exception as exc:
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        quoted = shell_quote(file)
        fix = f"fix {file}, or go back to the defaults: mv {quoted} {quoted}.bak"
        return Check("config", "Settings", "problem", message.splitlines()[0], fix), None
    state = "" if file.exists() else " (not created yet: defaults in use)"
    return Check("config", "Settings", "ok", f"{file}{state}"), settings


_TITLES = {
    "cpu": "CPU",
    "llama": "llama.cpp",
    "model": "Local model",
    "selftest": "Model self-test",
    "ner": "Names (NER)",
    "keyring": "API keys",
    "embedding": "Embedding model",
    "chromium": "Chromium (browser tests)",
    "data": "Data folders",
}
"""Each check's title, for the line that says the check itself failed."""

CHECKS: tuple[CheckFn, ...] = (
    check_cpu,
    check_llama,
    check_model,
    check_selftest,
    check_ner,
    check_keyring,
    check_embedding,
    check_chromium,
    check_data,
)
"""The checks after the settings one, in the order the report shows them."""
