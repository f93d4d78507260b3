"""Checks of what guards privacy: the NER pipeline and the keyring holding the API keys."""

from __future__ import annotations

import os

from app.doctor.check import Check, Context, Status, installed_version, shell_quote
from router import pip_install_command


def check_ner(context: Context) -> Check:
    """The NER pipeline that finds names, places and organisations."""
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
        f"{dist} {installed_version(dist)}"
        for dist in ner.NER_PACKAGES.values()
        if installed_version(dist)
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


def check_keyring(context: Context) -> Check:
    """Where API keys are kept, and that the fallback file is private."""
    try:
        from router.endpoints.secrets import SECRETS_FILE_NAME, keyring_backend
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
            f"rm {shell_quote(file)} && tandem endpoints key NAME",
        )
    if os.name == "posix" and mode & 0o077:
        return Check(
            "keyring",
            "API keys",
            "problem",
            f"{file} can be read by other users (mode {mode:03o})",
            f"chmod 600 {shell_quote(file)}",
        )
    return Check("keyring", "API keys", "ok", f"{fallback} (mode {mode:03o})")
