"""Lint, format and strict typing are part of the suite, so CI fails on any of them."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=["ruff-lint", "ruff-format", "mypy-strict"],
)
def test_tool_passes(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# The project's own top-level packages; imports of anything else are third-party.
PACKAGES = ("router", "app", "mcp_servers")
# Subsystems must not reach up into the composition root, the settings hub or a front end.
FORBIDDEN_FOR_SUBSYSTEMS = ("router.settings.config", "router.runtime", "app")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every project module `path` imports, at any depth: lazy and TYPE_CHECKING ones too."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import mod` imports pkg.mod when that is a module, else a name in pkg.
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _import_graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module_name(p) for p in files}
    return {_module_name(p): _imports(p, modules) - {_module_name(p)} for p in files}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_even_lazy_or_type_checking_ones() -> None:
    # A package's __init__ importing its own modules is not a cycle worth flagging.
    graph = {
        m: {t for t in targets if not (m.startswith(f"{t}.") and t.count(".") < m.count("."))}
        for m, targets in _import_graph().items()
    }
    assert _cycles(graph) == []


def test_subsystems_do_not_import_the_config_hub_the_runtime_or_the_front_ends() -> None:
    offenders = [
        f"{module} imports {target}"
        for module, targets in _import_graph().items()
        if module.startswith("router.")
        and not module.startswith(("router.runtime", "router.settings"))
        for target in targets
        if any(target == f or target.startswith(f"{f}.") for f in FORBIDDEN_FOR_SUBSYSTEMS)
    ]
    assert offenders == []


def test_the_guard_sees_a_lazy_import_cycle(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_device_servers_sit_below_the_runtime() -> None:
    # The router's chat host and the composition root use mcp_servers; so they must not
    # use the runtime, the settings hub or a front end back (the assistant's service is
    # router/runtime/assistant.py, behind the AssistantTools protocol).
    offenders = [
        f"{module} imports {target}"
        for module, targets in _import_graph().items()
        if module.startswith("mcp_servers")
        for target in targets
        if target.startswith(("router.runtime", "router.settings", "app"))
    ]
    assert offenders == []


def _package(module: str) -> str:
    """A module's layer: router's subpackage (router.policy), else the module or top package."""
    parts = module.split(".")
    if parts[0] == "router":
        return ".".join(parts[:2])
    return parts[0]


def test_no_cycle_between_packages() -> None:
    # Stricter than module cycles: router's subsystems, the device servers and the front
    # ends form layers, so no package reaches back into one that uses it.
    layers: dict[str, set[str]] = {}
    for module, targets in _import_graph().items():
        for target in targets:
            src, dst = _package(module), _package(target)
            if src != dst and dst != "router":  # `router` itself is the lazy public surface
                layers.setdefault(src, set()).add(dst)
    assert _cycles(layers) == []
