"""The router imports and runs turns without the packages a phone lacks (issue 20).

Each test runs in a fresh interpreter whose imports of llama_cpp, chromadb,
onnxruntime, spaCy, keyring, psutil, OpenCV and torch fail (tests/support/blocked.py),
and checks that the feature each one serves is off with one notice, not broken.
"""

from __future__ import annotations

from tests.support.blocked import last_json, run_blocked

ADAPTERS = {"router.memory.chroma_ef": "chromadb"}
"""Modules that are one optional package's adapter (a chromadb subclass): only they may fail."""


def test_every_module_of_router_and_mcp_servers_imports_without_them() -> None:
    done = run_blocked(
        """
        import importlib, json, pkgutil
        from tests.support.blocked import loaded_heavy
        failed = {}
        for package in ("router", "mcp_servers"):
            root = importlib.import_module(package)
            for module in pkgutil.walk_packages(root.__path__, package + "."):
                try:
                    importlib.import_module(module.name)
                except ImportError as exc:
                    failed[module.name] = (exc.name or "").split(".")[0]
        print(json.dumps({"failed": failed, "loaded": loaded_heavy()}))
        """
    )
    report = last_json(done)
    assert report["failed"] == ADAPTERS
    assert report["loaded"] == []


def test_without_keyring_keys_come_from_the_environment_and_the_private_file() -> None:
    done = run_blocked(
        """
        import json, os, stat, tempfile
        from router.endpoints.secrets import get_api_key, keyring_backend, set_api_key
        from router.endpoints.settings import RemoteEndpointSettings
        from router.optional import notices
        from router.paths import resolve_paths
        home = resolve_paths(tempfile.mkdtemp()).ensure()
        cloud = RemoteEndpointSettings(name="claude", kind="cloud", api="anthropic", model="m")
        os.environ["ANTHROPIC_API_KEY"] = "sk-ant-from-env"
        from_env = get_api_key(cloud, home)
        del os.environ["ANTHROPIC_API_KEY"]
        where = set_api_key("claude", "sk-ant-typed", home)
        print(json.dumps({
            "backend": keyring_backend() is None,
            "from_env": from_env,
            "where": where,
            "mode": stat.S_IMODE(os.stat(where).st_mode),
            "from_file": get_api_key(cloud, home),
            "notice": notices().get("keyring", ""),
        }))
        """,
        env={"ANTHROPIC_API_KEY": ""},
    )
    report = last_json(done)
    assert report["backend"] is True
    assert report["from_env"] == "sk-ant-from-env"
    assert report["where"].endswith("secrets.json") and report["mode"] == 0o600
    assert report["from_file"] == "sk-ant-typed"
    assert report["notice"].startswith("keyring is not installed, so API keys are read from")


def test_without_llama_cpp_or_chromadb_there_is_no_local_model_nor_memory_and_it_says_so() -> None:
    done = run_blocked(
        """
        import json, tempfile
        from router.endpoints.settings import RemoteEndpointSettings
        from router.optional import notices
        from router.paths import resolve_paths
        from router.runtime.compose import build_runtime
        from router.settings.config import load_settings
        home = resolve_paths(tempfile.mkdtemp()).ensure()
        edge = RemoteEndpointSettings(
            name="edge", kind="edge", api="anthropic", model="m", base_url="https://127.0.0.1:9"
        )
        settings = load_settings(home).model_copy(update={"endpoints": [edge]})
        runtime = build_runtime(home, settings)
        try:
            runtime.local
        except Exception as exc:
            local_error = str(exc)
        from router.memory.index import EmbeddedIndex
        try:
            EmbeddedIndex(home.data_dir / "memory", "turns").read(lambda col: col.count())
        except Exception as exc:
            index_error = str(exc)
        print(json.dumps({
            "endpoints": sorted(runtime.pipeline.endpoints),
            "memory": runtime.memory is not None,
            "local_error": local_error,
            "index_error": index_error,
            "notices": notices(),
        }))
        runtime.database.close()
        """
    )
    report = last_json(done)
    assert report["endpoints"] == ["edge"]
    assert report["memory"] is False
    assert "no on-device model" in report["local_error"]
    assert "llama-cpp-python is not installed" in report["notices"]["llama_cpp"]
    assert "memory search is off" in report["notices"]["memory"]
    assert report["index_error"].startswith("chromadb is not installed, so memory search is off")


def test_the_privacy_scan_keeps_its_patterns_and_rules_without_spacy() -> None:
    done = run_blocked(
        """
        import json
        from router.runtime.compose import scanner_for
        from router.settings.config import Settings, load_settings
        from router.types import TurnRequest
        text = "Mail anna.kowalski@example.org about card 4111 1111 1111 1111."
        report = scanner_for(load_settings()).scan(TurnRequest(text=text, session_id="s"), [])
        print(json.dumps({
            "types": sorted({f.type for f in report.findings}),
            "action": report.action,
        }))
        """
    )
    report = last_json(done)
    assert {"CREDIT_CARD", "EMAIL_ADDRESS"} <= set(report["types"])
    assert report["action"] == "keep_local"
    assert "name detection (NER) is not installed" in done.stderr


def test_a_turn_runs_and_packs_context_without_them() -> None:
    done = run_blocked(
        """
        import asyncio, json, tempfile
        from router.endpoints.function import FunctionEndpoint
        from router.optional import notices
        from router.paths import resolve_paths
        from router.runtime.compose import build_runtime
        from router.settings.config import load_settings
        from router.turn.events import TurnFinished
        from router.types import TurnRequest
        from tests.support.blocked import loaded_heavy

        async def turn(runtime, text):
            async for event in runtime.pipeline.run_turn(TurnRequest(text=text, session_id="s")):
                if isinstance(event, TurnFinished):
                    return event.turn.answer

        async def main():
            home = resolve_paths(tempfile.mkdtemp()).ensure()
            settings = load_settings(home)
            routing = settings.routing.model_copy(update={"policy": "prefer_remote"})
            settings = settings.model_copy(update={"routing": routing})
            cloud = FunctionEndpoint(lambda call: f"answer {call.index}", name="c", kind="cloud")
            runtime = build_runtime(home, settings, endpoints={"c": cloud})
            answers = [await turn(runtime, "What is the capital of France?")]
            answers.append(await turn(runtime, "And of Italy? Reply to anna.k@example.org"))
            try:
                await turn(runtime, "My card is 4111 1111 1111 1111, is that safe?")
                refused = ""
            except Exception as exc:
                refused = str(exc)
            sent = "\\n".join(m.content for call in cloud.calls for m in call.messages)
            print(json.dumps({
                "answers": answers,
                "ledger": [t.answer for t in runtime.ledger.turns("s")],
                "sent": sent,
                "refused": refused,
                "notices": sorted(notices()),
                "loaded": loaded_heavy(),
            }))
            await runtime.aclose()

        asyncio.run(main())
        """
    )
    report = last_json(done)
    assert report["answers"] == ["answer 0", "answer 1"]
    assert report["ledger"] == ["answer 0", "answer 1"]
    assert "capital of France" in report["sent"]  # the second turn carried the first along
    assert "anna.k@example.org" not in report["sent"]
    assert "4111" not in report["sent"]
    assert "must stay on this device" in report["refused"]
    assert "memory" in report["notices"] and "context-embeddings" in report["notices"]
    assert report["loaded"] == []
