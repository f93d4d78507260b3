import asyncio
import json
import sys
from pathlib import Path

from router.paths import resolve_paths
from tests.app.cli_support import tandem_env
from tests.support.fault_server import FaultServer, closed_port

KEY = "sk-ant-api03-cli-test-key-0000000000000000"


def _config(home: Path, up_url: str, down_url: str) -> None:
    paths = resolve_paths(home).ensure()
    paths.config_file.write_text(
        f'[[endpoints]]\nname = "up"\nkind = "edge"\napi = "anthropic"\nmodel = "tandem-edge"\n'
        f'base_url = "{up_url}"\napi_key_env = "UP_KEY"\nmine = true\n\n'
        f'[[endpoints]]\nname = "down"\nkind = "cloud"\napi = "anthropic"\n'
        f'model = "claude-haiku-4-5"\nbase_url = "{down_url}"\n'
    )


async def _tandem(env: dict[str, str], *args: str, stdin: bytes = b"") -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(stdin), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_list_shows_reachability_price_and_keys(tmp_path: Path, tiny_gguf: Path) -> None:
    async with FaultServer(["ok"]) as server:
        _config(tmp_path, server.url, f"http://127.0.0.1:{closed_port()}")
        env = tandem_env(tmp_path, tiny_gguf, UP_KEY=KEY)
        env.pop("ANTHROPIC_API_KEY", None)
        code, out = await _tandem(env, "endpoints", "list")
    assert code == 0, out
    up = next(line for line in out.splitlines() if line.startswith("up "))
    down = next(line for line in out.splitlines() if line.startswith("down "))
    assert "reachable (" in up and "key set" in up and "$0/$0 per Mtok" in up
    assert up.startswith("up       edge (mine)  anthropic:tandem-edge")
    assert "unreachable" in down and "no key" in down and "$1/$5 per Mtok" in down
    assert KEY not in out


async def test_test_reports_each_endpoint(tmp_path: Path, tiny_gguf: Path) -> None:
    async with FaultServer(["ok"]) as server:
        _config(tmp_path, server.url, f"http://127.0.0.1:{closed_port()}")
        env = tandem_env(tmp_path, tiny_gguf, UP_KEY=KEY)
        code, out = await _tandem(env, "endpoints", "test")
    assert code == 1  # one endpoint is down
    assert "up: ok, answered 'cloud answer'" in out
    assert "down: FAILED" in out
    assert KEY not in out


async def test_endpoint_tests_are_in_the_record_of_outbound_requests(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    async with FaultServer(["ok"]) as server:
        _config(tmp_path, server.url, f"http://127.0.0.1:{closed_port()}")
        env = tandem_env(tmp_path, tiny_gguf, UP_KEY=KEY)
        await _tandem(env, "endpoints", "test")
        code, out = await _tandem(env, "privacy", "outbound", "--json")
    assert code == 0, out
    rows = [json.loads(line) for line in out.splitlines()]
    up = [r for r in rows if r["endpoint"] == "up"]
    assert [(r["outcome"], r["status"], r["path"]) for r in up] == [("sent", 200, "/v1/messages")]
    assert {r["outcome"] for r in rows if r["endpoint"] == "down"} == {"failed"}
    assert KEY not in out


async def test_key_is_saved_privately_and_never_echoed(tmp_path: Path, tiny_gguf: Path) -> None:
    _config(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    env = tandem_env(tmp_path, tiny_gguf)
    code, out = await _tandem(env, "endpoints", "key", "down", stdin=KEY.encode() + b"\n")
    assert code == 0, out
    assert "saved the key of down" in out and KEY not in out
    code, out = await _tandem(env, "endpoints", "list")
    assert "key set" in next(line for line in out.splitlines() if line.startswith("down "))
    code, out = await _tandem(env, "endpoints", "key", "down", "--delete")
    assert code == 0 and "removed" in out
    code, out = await _tandem(env, "endpoints", "key", "nope", stdin=b"x\n")
    assert code == 2 and "no endpoint named 'nope'" in out
