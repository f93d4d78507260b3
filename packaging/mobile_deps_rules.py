"""What may go on the phone, for packaging/check_mobile_deps.py: the mobile wheels, the
heavy packages, and the one line said about each package that breaks a rule."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from mobile_deps_pip import Resolved, normalise

# Never on the phone (issue 20): model runtimes, vector stores, NLP pipelines, the desktop
# keyring and OpenCV are desktop-only or far too large; torch and CUDA must never come in.
HEAVY_NAMES = {"llama-cpp-python", "chromadb", "onnxruntime", "spacy", "keyring"}
HEAVY_NAMES |= {"torch", "torchvision", "torchaudio", "triton"}
HEAVY_PREFIXES = ("opencv-", "nvidia-")
# The only heavy package the phone may carry, when the app declares it optional.
MAY_BE_OPTIONAL = {"llama-cpp-python"}


def release(version: str) -> tuple[str, ...]:
    """A version without trailing `.0` parts, so "2.0" and "2.0.0" compare equal."""
    parts = version.lower().split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return tuple(parts)


def _listed(versions: list[str], version: str) -> bool:
    return any(release(v) == release(version) for v in versions)


@dataclass
class MobileWheels:
    """packaging/mobile_wheels.toml: name -> the versions mobile-forge's recipes build now,
    and the versions they built before (on its main branch, so published then)."""

    current: dict[str, list[str]]
    earlier: dict[str, list[str]]
    snapshot: str  # "<repository> at <commit> (<date>)"

    @classmethod
    def load(cls, path: Path) -> MobileWheels:
        """Read the list; names normalised as pip compares them."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        source = data.get("source", {})
        where = f"{source.get('repository', '?')} at {source.get('commit', '?')[:12]}"

        def table(key: str) -> dict[str, list[str]]:
            return {normalise(k): [str(v) for v in vs] for k, vs in data.get(key, {}).items()}

        return cls(table("packages"), table("earlier"), f"{where} ({source.get('date', '?')})")

    def has_recipe(self, item: Resolved) -> bool:
        """Whether a recipe builds this release now: Flet's index has its wheels."""
        return _listed(self.current.get(item.name, []), item.version)

    def had_recipe(self, item: Resolved) -> bool:
        """Whether an earlier recipe built this release (and no current one does)."""
        return not self.has_recipe(item) and _listed(self.earlier.get(item.name, []), item.version)

    def column(self, item: Resolved) -> str:
        """The table's last column: the recipe versions that bear on this package."""
        if item.kind == "pure":
            return ""
        now = ", ".join(self.current.get(item.name, [])) or "no recipe"
        if self.has_recipe(item):
            return f"recipe {now}"
        if self.had_recipe(item):
            return f"earlier recipe {item.version} (now {now})"
        return f"only {now}" if item.name in self.current else now


def is_heavy(name: str) -> bool:
    """Whether a (normalised) package never belongs on the phone."""
    return name in HEAVY_NAMES or name.startswith(HEAVY_PREFIXES)


@dataclass
class Policy:
    """What may be installed: the mobile wheels, and the exceptions the app declares."""

    wheels: MobileWheels
    optional: set[str]  # heavy, yet declared optional (only names in MAY_BE_OPTIONAL)
    source: set[str]  # may be built from a source distribution ([tool.flet].source_packages)


def _who(item: Resolved) -> str:
    return f"{item.name} {item.version}" + (f" (from {item.via})" if item.via else "")


def offence(item: Resolved, policy: Policy) -> str | None:
    """One line saying what is wrong with a resolved package, or None when it may stay."""
    who, wheels = _who(item), policy.wheels
    if is_heavy(item.name) and item.name not in policy.optional:
        hint = " unless an optional-dependencies group lists it" * (item.name in MAY_BE_OPTIONAL)
        return f"heavy: {who} must not be in the phone app{hint}; drop what pulls it in."
    known = item.name in wheels.current or item.name in wheels.earlier
    if item.kind == "pure" or (not known and item.name in policy.source):
        return None
    if not known and item.kind == "sdist":
        return (
            f"no wheel: {who} has only a source distribution and no mobile-forge recipe; "
            "list it in [tool.flet].source_packages if it is pure Python, else drop it."
        )
    if not known:
        return f"no mobile wheel: {who} is compiled and mobile-forge has no recipe for it."
    if wheels.has_recipe(item) or wheels.had_recipe(item):
        return None
    now = ", ".join(wheels.current.get(item.name, [])) or "none now"
    before = ", ".join(wheels.earlier.get(item.name, []))
    listed = f"{now}; earlier {before}" if before else now
    return f"version: {who} has mobile wheels only for {listed}; pin a listed version."


def warning(item: Resolved, policy: Policy) -> str | None:
    """A line for a release only an earlier recipe built: it passes, but is worth a look."""
    if item.kind == "pure" or not policy.wheels.had_recipe(item):
        return None
    return (
        f"earlier recipe: {_who(item)} was built by an earlier mobile-forge recipe; "
        "check that pypi.flet.dev still has it for the bundled Python."
    )
