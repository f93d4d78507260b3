"""The parts of a runtime that need an optional package, each left out (said once) without it.

A phone (packaging/mobile/) has no llama.cpp, chromadb or onnxruntime wheel, and no
MCP SDK, so the composition root asks here: no llama.cpp, no on-device model; no
chromadb or embedder, no memory; no embedder, routing without embeddings; no MCP SDK,
no chat tools (router/optional.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from router.endpoints.base import Endpoint
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.settings import LocalModelSettings
from router.ledger.pseudonyms import PseudonymStore
from router.mcp.chat_host import DeviceBackends, build_chat_host
from router.mcp.settings import McpSettings
from router.memory.embedding import (
    Embedder,
    embeddings_available,
    missing_embedding_module,
    shared_embedder,
)
from router.memory.settings import MemorySettings
from router.models.bundled import Progress
from router.models.manager import ModelManager
from router.optional import available, say_missing
from router.paths import TandemPaths
from router.policy.settings import RoutingSettings
from router.privacy.guard import EgressPolicy
from router.runtime.memory import LiveMemory

if TYPE_CHECKING:
    from router.mcp.host import ToolHost

NO_MCP_TOOLS = "the chat has no MCP tools"
"""What is off without the MCP SDK (the `mcp` distribution)."""


def device_model(
    manager: ModelManager, settings: LocalModelSettings, progress: Progress | None
) -> dict[str, Endpoint]:
    """The on-device model as endpoint `local`; none (said once) where llama.cpp is missing.

    Resolving the bundled model may assemble it first (`progress` gets bytes done, total).
    """
    if not available("llama_cpp"):
        say_missing(
            "llama_cpp",
            "there is no on-device model: turns go to the configured endpoints, and a "
            "turn a privacy rule keeps on this device is refused",
            "install it to answer on this device",
        )
        return {}
    return {"local": LlamaCppEndpoint.from_settings(manager.resolve(progress=progress), settings)}


def live_memory(
    paths: TandemPaths, settings: MemorySettings, pseudonyms: PseudonymStore, egress: EgressPolicy
) -> LiveMemory | None:
    """The memory when `[memory] enabled` and Chroma and the embedder are installed."""
    if not settings.enabled:
        return None
    missing = "chromadb" if not available("chromadb") else missing_embedding_module()
    if missing is not None:
        say_missing(
            missing,
            "memory search is off and earlier turns are packed from the ledger alone",
            "set [memory] enabled = false, or install it",
            feature="memory",
        )
        return None
    return LiveMemory(paths, settings, pseudonyms=pseudonyms, policy=egress)


def routing_embedder(routing: RoutingSettings) -> Embedder | None:
    """The embedder, when routing reads embeddings and it can run (said once where not)."""
    if not needs_embedding(routing):
        return None
    if not embeddings_available(
        "routing-embeddings", "routing estimates difficulty without sentence embeddings"
    ):
        return None
    return shared_embedder()


def needs_embedding(routing: RoutingSettings) -> bool:
    """Embed each turn when asked to, or when the policy's trained router reads embeddings."""
    uses_router = routing.policy in ("learned", "budget") and bool(routing.learned_router)
    return routing.embed_features or uses_router


def chat_tool_host(
    settings: McpSettings, egress: EgressPolicy, devices: DeviceBackends
) -> ToolHost | None:
    """The chat's MCP tool host (`[mcp]` on); none (said once) where the MCP SDK is missing."""
    if not available("mcp"):
        say_missing(
            "mcp", NO_MCP_TOOLS, "install it to use MCP servers, or set [mcp] enabled = false"
        )
        return None
    return build_chat_host(settings, egress, devices)
