"""Lint, format and strict typing are part of the suite, so CI fails on any of them."""

import ast
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


# One way out: outbound clients are made by the egress guard's factory
# (router/privacy/guard.py). Any other construction of a client that reaches
# the network must be listed here, with why it is not (yet) the factory's.
OUTBOUND_CLIENTS = (
    "httpx.Client", "httpx.AsyncClient", "httpx2.Client", "httpx2.AsyncClient",
    "requests.", "urllib.request.urlopen", "urllib.request.build_opener",
    "aiohttp.ClientSession", "anthropic.Anthropic", "anthropic.AsyncAnthropic",
    "openai.OpenAI", "openai.AsyncOpenAI", "chromadb.HttpClient",
    "huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download",
    "socket.create_connection",
)  # fmt: skip
OUTBOUND_ALLOWED = {
    ("router/privacy/guard.py", "httpx.AsyncClient"): "the factory: every transport guarded",
    ("router/privacy/guard.py", "httpx2.AsyncClient"): "the factory: every transport guarded",
    ("router/endpoints/anthropic_api.py", "anthropic.AsyncAnthropic"): (
        "wraps the factory's httpx2 client that the registry passes in"
    ),
    ("router/memory/server_index.py", "chromadb.HttpClient"): (
        "the user's own `chroma run` server; its session is swapped by guard_chroma_client"
    ),
    ("router/memory/wire.py", "httpx.Client"): (
        "guard_chroma_client: Chroma's session rebuilt on guarded transports"
    ),
    ("router/models/manager.py", "huggingface_hub.hf_hub_download"): (
        "public model weights on `tandem models pull`; carries no user data"
    ),
    ("router/models/manager.py", "socket.create_connection"): (
        "reachability probe of the model hub before that download"
    ),
    ("app/mobile/pin.py", "socket.create_connection"): (
        "the phone reads the certificate of the Tandem it pairs with (a TLS handshake, no "
        "data) to compare it with the QR code's fingerprint"
    ),
}


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it was imported as, for `import x as y` and `from x import y`."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str:
    """`a.b.c` of a call's function, its first name resolved through the imports."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([aliases.get(node.id, node.id), *reversed(attrs)])


def _outbound_clients(root: Path) -> set[tuple[str, str]]:
    """(file, client) for every call in `root`'s packages that makes an outbound client."""
    found: set[tuple[str, str]] = set()
    for path in (p for pkg in PACKAGES for p in (root / pkg).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = _aliases(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func, aliases)
            if any(name == c or (c.endswith(".") and name.startswith(c)) for c in OUTBOUND_CLIENTS):
                found.add((path.relative_to(root).as_posix(), name))
    return found


def test_outbound_clients_come_from_the_guard_s_factory() -> None:
    found = _outbound_clients(ROOT)
    assert sorted(found - set(OUTBOUND_ALLOWED)) == []
    assert sorted(set(OUTBOUND_ALLOWED) - found) == [], "stale allow-list entries"


def test_the_client_scan_sees_aliases_and_from_imports(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x.py").write_text(
        "import httpx as h\nfrom requests import get\nfrom urllib import request\n"
        "h.AsyncClient()\nget('u')\nrequest.urlopen('u')\n"
    )
    assert _outbound_clients(tmp_path) == {
        ("app/x.py", "httpx.AsyncClient"),
        ("app/x.py", "requests.get"),
        ("app/x.py", "urllib.request.urlopen"),
    }
