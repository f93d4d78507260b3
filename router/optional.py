"""The heavy packages the router can run without, and the one notice when a feature is off.

A phone (the app under packaging/mobile/) has no wheels for chromadb, spaCy or the OS
keyring, and may have none for llama.cpp, onnxruntime, psutil or OpenCV; it does not
install the MCP SDK either (its chat has no MCP tools). The router
imports each where it is used, checks with `available` first where a missing one
changes what happens, and says so once per process with `notice_once` or `say_missing` (logged as a
warning and kept for a front end to show: `notices`).
"""

from __future__ import annotations

import importlib.util
import logging
import threading

_log = logging.getLogger(__name__)

OPTIONAL_PACKAGES: dict[str, str] = {
    "llama_cpp": "llama-cpp-python",
    "chromadb": "chromadb",
    "onnxruntime": "onnxruntime",
    "spacy": "spacy",
    "keyring": "keyring",
    "psutil": "psutil",
    "cv2": "opencv-python-headless",
    "mcp": "mcp",
}
"""Import name -> the distribution that provides it: what the router runs without."""

_lock = threading.Lock()
_notices: dict[str, str] = {}


def available(module: str) -> bool:
    """True when `module` can be imported (found, not imported: no import cost)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # blocked, broken or half-removed
        return False


def notice_once(feature: str, sentence: str) -> bool:
    """Say `sentence` (why `feature` is off and how to turn it on) once per process.

    Logged as a warning and kept for `notices`; returns True if this call said it.
    """
    with _lock:
        if feature in _notices:
            return False
        _notices[feature] = sentence
    _log.warning("%s", sentence)
    return True


def notices() -> dict[str, str]:
    """Every notice said so far, by feature: what runs without an optional package."""
    with _lock:
        return dict(_notices)


def say_missing(module: str, what: str, fix: str, feature: str | None = None) -> bool:
    """Say once, as `feature` (default: `module`), that `module` is missing, so `what`.

    The `notice_once` of `missing_sentence`; returns True if this call said it.
    """
    return notice_once(feature or module, missing_sentence(module, what, fix))


def missing_sentence(module: str, what: str, fix: str) -> str:
    """One sentence: `module`'s distribution is not installed, so `what`; `fix` says how."""
    return f"{OPTIONAL_PACKAGES.get(module, module)} is not installed, so {what}; {fix}"
