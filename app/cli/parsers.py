"""Argument parsers of the subcommands whose modules are slow to import.

`tandem --help` and every other command build all parsers, so the parsers of
chat, models, edge, endpoints and config live here, apart from the code that
runs them (which loads the runtime, llama.cpp and the keyring).
"""

from __future__ import annotations

from typing import Any


def add_chat_parser(subparsers: Any) -> None:
    """Add `tandem chat`."""
    chat = subparsers.add_parser("chat", help="chat in the terminal")
    chat.add_argument(
        "--once", metavar="QUESTION", help="answer one question and exit ('-': stdin)"
    )
    chat.add_argument("--model", default=None, help="model spec: bundled, a name, or a .gguf")
    chat.add_argument("--session", default=None, help="continue this session id")
    chat.add_argument("--new", action="store_true", help="start a new conversation")


def add_models_parser(subparsers: Any) -> None:
    """Add `tandem models list|pull|path`."""
    models = subparsers.add_parser("models", help="list, pull and check local models")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    models_sub.add_parser("list", help="show available models and which one is active")
    pull = models_sub.add_parser("pull", help="download a GGUF from the Hugging Face hub")
    pull.add_argument("repo", help="repository id, e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF")
    pull.add_argument("file", help="GGUF file name in that repository")
    path = models_sub.add_parser("path", help="print the file path of a model (assembles bundled)")
    path.add_argument("spec", nargs="?", default=None, help="model spec (default: active)")


def add_edge_parser(subparsers: Any) -> None:
    """Add `tandem edge serve`."""
    edge = subparsers.add_parser("edge", help="serve this device's model to other devices")
    edge_sub = edge.add_subparsers(dest="edge_command", metavar="ACTION", required=True)
    serve = edge_sub.add_parser(
        "serve", help="serve an Anthropic- and OpenAI-compatible API backed by a local model"
    )
    serve.add_argument("--model", default=None, help="model spec: bundled, a name, or a .gguf")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8642, help="port (default 8642)")
    serve.add_argument("--api-key", default=None, help="require this key (x-api-key / Bearer)")
    serve.add_argument("--max-queue", type=int, default=8, help="requests waiting at most")


def add_endpoints_parser(subparsers: Any) -> None:
    """Add `tandem endpoints list|test|key`."""
    endpoints = subparsers.add_parser("endpoints", help="off-device endpoints: list, test, keys")
    endpoints_sub = endpoints.add_subparsers(
        dest="endpoints_command", metavar="ACTION", required=True
    )
    endpoints_sub.add_parser("list", help="configured endpoints, reachability, latency, price")
    test = endpoints_sub.add_parser("test", help="send a tiny request to each endpoint")
    test.add_argument("name", nargs="?", default=None, help="only this endpoint")
    key = endpoints_sub.add_parser("key", help="save an endpoint's API key in the OS keyring")
    key.add_argument("name", help="endpoint name from the config")
    key.add_argument("--delete", action="store_true", help="remove the saved key")


def add_config_parser(subparsers: Any) -> None:
    """Add `tandem config path|show`."""
    config = subparsers.add_parser("config", help="show the settings and where they live")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser("path", help="print the config file and data folder")
    config_sub.add_parser("show", help="print the effective settings")
