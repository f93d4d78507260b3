"""Reading a profile file that may still be growing, plain (`.jsonl`) or gzipped (`.jsonl.gz`)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from router.learn.profile import ProfileError, ProfileRecord, parse_record


def read_profile_text(path: Path) -> str:
    """The profile's text; a name ending in `.gz` is decompressed first."""
    try:
        if path.name.endswith(".gz"):
            return gzip.decompress(path.read_bytes()).decode("utf-8")
        return path.read_text(encoding="utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ProfileError(
            f"cannot read profile {path}: {exc}", "check the --profile path"
        ) from exc


def load_settled(path: Path) -> tuple[list[ProfileRecord], str]:
    """The profile's records and the SHA-256 of the lines used; a partial last line is ignored.

    A partial last line is a run still writing. Unlike `resume`
    (router/learn/profile_log.py) this never changes the file, so it is safe on
    a profile another process is appending to. The hash is of the uncompressed
    text, so a profile and its gzipped copy have the same one.
    """
    text = read_profile_text(path)
    if text and not text.endswith("\n"):
        last = text[text.rfind("\n") + 1 :]
        try:
            parse_record(json.loads(last))
        except ValueError:  # JSONDecodeError is a ValueError: a write still in progress
            text = text[: len(text) - len(last)]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(parse_record(json.loads(line)))
        except ValueError as exc:
            raise ProfileError(f"{path}, line {number}: {exc}", "fix or delete that line") from exc
    if not records:
        raise ProfileError(f"profile {path} has no complete records", "profile some questions")
    return records, hashlib.sha256(text.encode("utf-8")).hexdigest()
