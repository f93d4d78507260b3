"""`tandem mcp`: the subcommands, a stdio subprocess, HTTP, and the official MCP Inspector CLI."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp_types import TextContent

from app.cli import main
from app.gui.main import free_port
from tests.app.cli_support import run_tandem, tandem_env
from tests.mcp_servers.support import SECRET, Tree, make_tree
from tests.support.missing import missing

ROOT = Path(__file__).resolve().parents[3]
# What `npx @modelcontextprotocol/inspector --cli` runs, from the project-local install: no fetch.
INSPECTOR = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return make_tree(tmp_path / "files")


@pytest.fixture
def env(tmp_path: Path, tiny_gguf: Path) -> dict[str, str]:
    return tandem_env(
        tmp_path / "home",
        tiny_gguf,
        TANDEM_GENERATION__MAX_TOKENS="8",
        TANDEM_PRIVACY__NER="false",
    )


def serve_args(tree: Tree) -> list[str]:
    return ["-m", "app.cli", "mcp", "serve", "--transport", "stdio", "--root", str(tree.root)]


def test_config_claude_desktop_prints_a_stdio_command(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mcp", "config", "claude-desktop", "--root", str(tree.root)]) == 0
    snippet = json.loads(capsys.readouterr().out)
    server = snippet["mcpServers"]["tandem"]
    assert Path(server["command"]).exists()
    args = server["args"]
    assert args[-6:] == ["mcp", "serve", "--transport", "stdio", "--root", str(tree.root)]


def test_token_is_printed_and_stable(
    tandem_home: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mcp", "token"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["mcp", "token"]) == 0
    assert capsys.readouterr().out.strip() == first and len(first) >= 32


def test_bad_choices_are_user_errors(
    tandem_home: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANDEM_MCP_ROOTS", raising=False)
    assert main(["mcp", "serve", "--servers", "files,printer"]) == 2
    assert "unknown MCP server printer" in capsys.readouterr().err
    assert main(["mcp", "serve", "--servers", "files"]) == 2
    assert "--root" in capsys.readouterr().err


def test_serve_lends_its_shared_folders_to_ask_locals_model(
    tree: Tree, tandem_home: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.cli.mcp as cli_mcp
    from mcp_servers.serve import ServeOptions
    from router.runtime.assistant import AssistantService

    served: list[ServeOptions] = []
    monkeypatch.setattr(cli_mcp, "_serve_stdio", lambda options, model: served.append(options) or 0)
    assert main(["mcp", "serve", "--root", str(tree.root)]) == 0
    [options] = served
    assert options.assistant_factory is not None
    service = options.assistant_factory()
    assert isinstance(service, AssistantService) and service.roots == (str(tree.root),)


async def test_stdio_subprocess_serves_every_server(tree: Tree, env: dict[str, str]) -> None:
    params = StdioServerParameters(command=sys.executable, args=serve_args(tree), env=env, cwd=ROOT)
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        read = await client.call_tool("files_read", {"path": "root/hello.txt"})
        escape = await client.call_tool("files_read", {"path": "root/escape"})
        battery = await client.call_tool("sensors_battery", {})
        answer = await client.call_tool("ask_local", {"question": "Say hi."})
    assert {"files_read", "sensors_battery", "ask_local", "privacy_scan"} <= names
    assert "files_write" not in names
    assert isinstance(read.content[0], TextContent) and read.content[0].text.startswith("hello")
    assert escape.is_error and SECRET not in escape.model_dump_json()
    assert battery.structured_content is not None and "available" in battery.structured_content
    assert not answer.is_error and isinstance(answer.content[0], TextContent)


def inspector(*args: str, env: dict[str, str]) -> dict[str, object]:
    if shutil.which("node") is None:
        missing("node is not installed; .ci/run installs node and the MCP Inspector")
    if not INSPECTOR.exists():
        missing(
            "MCP Inspector not installed: npm install --prefix .ci/node "
            "@modelcontextprotocol/inspector@0.21.2 (done by .ci/run)"
        )
    done = subprocess.run(
        [str(INSPECTOR), "--cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_inspector_lists_and_calls_tools_over_stdio(tree: Tree, env: dict[str, str]) -> None:
    # The Inspector passes the options after the command on to its CLI, which would take the
    # server's `--transport stdio` as its own; stdio is `tandem mcp serve`'s default anyway.
    command = [sys.executable, "-m", "app.cli", "mcp", "serve", "--servers", "files,sensors"]
    command += ["--root", str(tree.root)]
    listed = inspector(*command, "--method", "tools/list", env=env)
    names = {t["name"] for t in listed["tools"]}  # type: ignore[attr-defined]
    assert {"files_list", "files_read", "sensors_cpu"} <= names
    called = inspector(
        *command, "--method", "tools/call", "--tool-name", "files_read",
        "--tool-arg", "path=root/docs/notes.md", env=env,
    )  # fmt: skip
    assert called["content"] == [{"type": "text", "text": "# Notes\nbuy milk\n"}]


@pytest.fixture
def http_server(tree: Tree, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    port = free_port()
    token = run_tandem("mcp", "token", env=env).stdout.strip()
    args = ["mcp", "serve", "--transport", "http", "--port", str(port), "--root", str(tree.root)]
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "tandem mcp serve --transport http exited"
            assert time.monotonic() < deadline, "tandem mcp serve did not start listening"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp", token
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_inspector_lists_and_calls_tools_over_http(
    http_server: tuple[str, str], env: dict[str, str]
) -> None:
    url, token = http_server
    auth = ["--header", f"Authorization: Bearer {token}"]
    listed = inspector(url, "--transport", "http", "--method", "tools/list", *auth, env=env)
    assert "sensors_uptime" in {t["name"] for t in listed["tools"]}  # type: ignore[attr-defined]
    called = inspector(
        url, "--transport", "http", "--method", "tools/call",
        "--tool-name", "sensors_uptime", *auth, env=env,
    )  # fmt: skip
    structured = called["structuredContent"]
    assert isinstance(structured, dict) and structured["uptime_seconds"] > 0
    refused = subprocess.run(
        [str(INSPECTOR), "--cli", url, "--transport", "http", "--method", "tools/list"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert refused.returncode != 0


async def test_serve_shares_the_roots_from_the_settings(
    tree: Tree, env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "home" / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[mcp]\nroots = [{json.dumps(str(tree.root))}]\n", encoding="utf-8")
    args = ["-m", "app.cli", "mcp", "serve", "--transport", "stdio", "--servers", "files"]
    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=ROOT)
    async with Client(params) as client:
        read = await client.call_tool("files_read", {"path": "root/hello.txt"})
    assert isinstance(read.content[0], TextContent) and read.content[0].text.startswith("hello")
