"""Reading the routing policies' JSON artifacts, with the same clear errors for each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from router.errors import TandemError


def read_artifact(
    path: str | Path | None,
    default: Path,
    *,
    label: str,
    setting: str,
    fmt: str,
    versions: tuple[int, ...] = (1,),
) -> tuple[Path, dict[str, Any], str]:
    """Return (file, data, hint) for a `fmt` JSON artifact of `versions`, else `TandemError`.

    `path` None reads the shipped `default`; `label` names the artifact in errors
    ("routing artifact") and `setting` is the config key that points at it. The
    hint comes back so callers report malformed content the same way.
    """
    file = Path(path).expanduser() if path else default
    hint = (
        f"check [routing] {setting} in the config, or remove the key to use the "
        f"shipped default ({default.name})"
    )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TandemError(f"{label} {file} does not exist", hint) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TandemError(f"{label} {file} is not readable JSON ({exc})", hint) from exc
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("format") != fmt or version not in versions:
        wanted = " or ".join(str(v) for v in versions)
        raise TandemError(
            f"{label} {file} is malformed (expected format {fmt!r} version {wanted})", hint
        )
    return file, data, hint
