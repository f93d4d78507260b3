"""Settings changed while the app runs: applied to the runtime first, then saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.errors import ConfigError
from router.runtime.compose import Runtime
from router.settings.config import Settings
from router.settings.store import updated_document, write_toml


def save_and_apply(runtime: Runtime, changes: Mapping[str, Any]) -> Settings:
    """Validate `changes`, apply them to the running pipeline, then write them to the file.

    Applied first, so a change the runtime refuses (a routing policy whose
    artifact is missing, a rule naming an unknown endpoint) is never written.
    """
    document, settings = updated_document(runtime.paths, changes)
    previous = runtime.settings
    runtime.apply_settings(settings)
    try:
        write_toml(runtime.paths.config_file, document)
    except OSError as exc:
        runtime.apply_settings(previous)
        raise ConfigError(
            f"could not write {runtime.paths.config_file} ({exc.strerror or exc})",
            "check that the folder is writable and has free space",
        ) from exc
    return settings
