"""API keys for off-device endpoints: environment, OS keyring, or a private file.

Lookup order for an endpoint's key: its environment variable, then the OS
keyring (service "tandem", user = endpoint name), then - only on machines with
no keyring backend at all (headless Linux, containers, a phone without the
`keyring` package) - `<config_dir>/secrets.json`, readable by its owner alone.
Keys are never logged; `redact` scrubs them from any text that leaves this
module's callers (error messages, logs).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from router.endpoints.settings import RemoteEndpointSettings
from router.errors import TandemError
from router.optional import say_missing
from router.paths import TandemPaths, resolve_paths
from router.private_file import PRIVATE_MODE, write_private

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

KEYRING_SERVICE = "tandem"
SECRETS_FILE_NAME = "secrets.json"
REDACTED = "sk-…redacted"

# Anthropic keys ("sk-ant-api03-...") and OpenAI-style keys ("sk-proj-...", "sk-...").
_KEY_LIKE = re.compile(r"sk-ant-[A-Za-z0-9_\-]+|sk-(?:proj-)?[A-Za-z0-9_\-]{20,}")


class SecretsError(TandemError):
    """A key could not be stored or read safely."""


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with every known secret, and anything shaped like an API key, masked."""
    # Longest first, so a key that contains another is masked whole.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _KEY_LIKE.sub(REDACTED, text)


def key_env_var(endpoint: RemoteEndpointSettings) -> str | None:
    """Return the environment variable that holds `endpoint`'s key, if any.

    ANTHROPIC_API_KEY is the default only for Anthropic endpoints of kind `cloud`:
    an edge box must name its variable explicitly, so the user's Anthropic key is
    never sent to a server on the local network by accident.
    """
    if endpoint.api_key_env:
        return endpoint.api_key_env
    if endpoint.api == "anthropic" and endpoint.kind == "cloud":
        return "ANTHROPIC_API_KEY"
    return None


def keyring_backend() -> KeyringBackend | None:
    """Return the usable OS keyring backend, or None when this machine has none.

    Without the `keyring` package (a phone) there is none: keys come from the
    environment and the private secrets file, and that is said once.
    """
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        say_missing(
            "keyring",
            "API keys are read from environment variables and from the private "
            f"{SECRETS_FILE_NAME} file in Tandem's config folder",
            "install keyring to keep them in the OS keyring instead",
        )
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration is the same as none
        log.debug("keyring backend unavailable", exc_info=True)
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def get_api_key(endpoint: RemoteEndpointSettings, paths: TandemPaths | None = None) -> str | None:
    """Return `endpoint`'s API key from the environment, the keyring or the secrets file."""
    env_var = key_env_var(endpoint)
    if env_var:
        value = os.environ.get(env_var, "").strip()
        if value:
            return value
    backend = keyring_backend()
    if backend is not None:
        from keyring.errors import KeyringError  # a backend means keyring imports

        try:
            return backend.get_password(KEYRING_SERVICE, endpoint.name)
        except KeyringError as exc:
            log.warning(
                "could not read the key of endpoint %s from the OS keyring: %s",
                endpoint.name,
                type(exc).__name__,
            )
            return None
    return _read_file(_secrets_file(paths)).get(endpoint.name)


def set_api_key(name: str, key: str, paths: TandemPaths | None = None) -> str:
    """Save `key` for endpoint `name`; return where it went ("the OS keyring" or a path)."""
    key = key.strip()
    if not key:
        raise SecretsError("the API key is empty", "paste the whole key")
    backend = keyring_backend()
    if backend is not None:
        from keyring.errors import KeyringError  # a backend means keyring imports

        try:
            backend.set_password(KEYRING_SERVICE, name, key)
        except KeyringError as exc:
            raise SecretsError(
                f"the OS keyring refused to store the key ({type(exc).__name__})",
                "unlock the keyring, or set the endpoint's api_key_env variable instead",
            ) from None
        return "the OS keyring"
    path = _secrets_file(paths)
    keys = _read_file(path)
    keys[name] = key
    _write_file(path, keys)
    return str(path)


def delete_api_key(name: str, paths: TandemPaths | None = None) -> bool:
    """Remove endpoint `name`'s saved key from the keyring and the secrets file.

    Returns True if a key was found and removed.
    """
    removed = False
    backend = keyring_backend()
    if backend is not None:
        from keyring.errors import PasswordDeleteError  # a backend means keyring imports

        with contextlib.suppress(PasswordDeleteError):
            backend.delete_password(KEYRING_SERVICE, name)
            removed = True
    path = _secrets_file(paths)
    if path.exists():
        keys = _read_file(path)
        if keys.pop(name, None) is not None:
            _write_file(path, keys)
            removed = True
    return removed


def _secrets_file(paths: TandemPaths | None) -> Path:
    return (paths or resolve_paths()).config_dir / SECRETS_FILE_NAME


def _ensure_private(path: Path) -> None:
    """Refuse a secrets file owned by someone else; make a too-open one private again."""
    if os.name != "posix":  # Windows has no mode bits; the user's profile folder is private
        return
    info = path.stat()
    if info.st_uid != os.getuid():
        raise SecretsError(
            f"{path} belongs to another user, so Tandem will not read keys from it",
            f"delete {path} and save the keys again with `tandem endpoints key NAME`",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        log.warning(
            "%s could be read by other users (mode %03o); restricting it to you (600). "
            "Consider replacing the keys it holds.",
            path,
            mode,
        )
        try:
            path.chmod(PRIVATE_MODE)
        except OSError as exc:
            raise SecretsError(
                f"{path} can be read by other users and its permissions could not be fixed "
                f"({exc.strerror})",
                f"run `chmod 600 {path}`, or delete it and save the keys again",
            ) from None


def _read_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    _ensure_private(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        # The text of a JSON error quotes the file, so only its type is shown.
        raise SecretsError(
            f"cannot read {path} ({type(exc).__name__})",
            f"delete {path} and save the keys again with `tandem endpoints key NAME`",
        ) from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, dict):
        raise SecretsError(
            f"{path} is not a Tandem secrets file",
            f"delete {path} and save the keys again with `tandem endpoints key NAME`",
        )
    return {str(k): v for k, v in keys.items() if isinstance(v, str)}


def _write_file(path: Path, keys: dict[str, str]) -> None:
    """Write the keys atomically to a file only its owner can read."""
    text = json.dumps({"keys": keys}, indent=2, sort_keys=True)
    write_private(path, text.encode("utf-8"))
