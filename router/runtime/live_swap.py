"""Live swaps of a running runtime's parts: the local model and the MCP tool host.

`Runtime.switch_model` and `Runtime.reload_tools` (router/runtime/compose.py) call these;
their docstrings describe the behaviour. Everything that can fail slowly or for
a user's reason (resolving the file, checking its header, building and
connecting the new host) happens before the swap, and the swap itself runs
with no turn in flight (router/turn/gate.py), so a failure leaves the runtime
as it was.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Protocol, cast

from router.endpoints.base import Endpoint
from router.endpoints.gguf_file import inspect_gguf
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.errors import ConfigError, ModelLoadError, TandemError
from router.mcp.chat_host import DeviceBackends, build_chat_host
from router.mcp.host import Confirm, ToolHost
from router.mcp.settings import McpSettings
from router.models.bundled import Progress
from router.models.manager import ModelManager
from router.settings.config import Settings
from router.turn.gate import TurnGate
from router.turn.pipeline import TurnPipeline


class Runtime(Protocol):
    """What a live swap reads and replaces of `router.runtime.compose.Runtime`.

    A protocol rather than an import: the runtime calls these functions, so
    importing it back would make the two modules a cycle.
    """

    settings: Settings
    models: ModelManager
    pipeline: TurnPipeline
    devices: DeviceBackends
    tool_confirm: Confirm | None

    @property
    def turns(self) -> TurnGate:
        """The gate every turn passes; a swap takes it exclusively."""
        ...


_log = logging.getLogger(__name__)


async def switch_local_model(
    runtime: Runtime, spec: str, progress: Progress | None, wait_s: float
) -> None:
    """Resolve, check and load model `spec` as the runtime's `local` endpoint (see switch_model)."""
    spec = spec.strip()
    if not spec:
        raise ConfigError("no model given", "pick a model, or type a name or a .gguf path")
    path = await asyncio.to_thread(runtime.models.resolve, spec, progress)
    await asyncio.to_thread(inspect_gguf, path)  # a damaged file fails here, nothing changed
    current = runtime.pipeline.endpoints["local"]
    if isinstance(current, LlamaCppEndpoint) and _same_file(current.model_path, path):
        runtime.models.active_spec = spec  # already answering with this file
        return
    local = runtime.settings.local
    new = LlamaCppEndpoint.from_settings(path, local)
    live = cast(MutableMapping[str, Endpoint], runtime.pipeline.endpoints)
    async with runtime.turns.exclusive("switch the model", wait_s):
        # Summaries may still be generating with the old model in the background.
        await _settle(runtime.pipeline, wait_s)
        old = live["local"]
        was_loaded = bool(getattr(old, "loaded", False))
        if isinstance(old, LlamaCppEndpoint):
            # Frees the old weights before the new ones load: one model in memory at a time.
            await asyncio.to_thread(old.unload)
        try:
            await new.prepare()
        except Exception as exc:
            live["local"] = await _restored(old, was_loaded, local.n_threads)
            reason = exc.message if isinstance(exc, TandemError) else f"{type(exc).__name__}: {exc}"
            hint = exc.hint if isinstance(exc, TandemError) else ""
            raise ModelLoadError(
                f"could not switch to {spec} ({reason}); still using {runtime.models.active_spec}",
                hint or "try another GGUF file",
            ) from exc
        live["local"] = new
        runtime.models.active_spec = spec
    await old.aclose()


async def reload_tool_host(
    runtime: Runtime, settings: McpSettings | Settings, wait_s: float
) -> None:
    """Build, connect and swap in the chat's tool host for `settings` (see reload_tools)."""
    mcp = settings.mcp if isinstance(settings, Settings) else settings
    pipeline = runtime.pipeline
    old = pipeline.tools
    if old is not None and old.confirm is not None:
        runtime.tool_confirm = old.confirm
    new: ToolHost | None = None
    if mcp.enabled:
        try:
            new = build_chat_host(mcp, pipeline.egress_policy, runtime.devices)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ConfigError(
                f"the MCP servers could not be set up ({exc}); nothing was changed",
                "fix or remove the server the message names, then try again",
            ) from exc
        new.confirm = runtime.tool_confirm
    try:
        if new is not None:
            await new.ensure_started()  # a server that fails lands in new.errors, not here
        async with runtime.turns.exclusive("reload the MCP servers", wait_s):
            pipeline.tools = new
            pipeline.max_tool_rounds = mcp.max_tool_rounds
            pipeline.offer_all_tools = mcp.offer == "all"
            runtime.settings = runtime.settings.model_copy(update={"mcp": mcp})
    except BaseException:
        if new is not None:
            await new.aclose()  # its stdio servers must not outlive a refused reload
        raise
    if old is not None:
        await old.aclose()


def _same_file(a: str | os.PathLike[str], b: Path) -> bool:
    return Path(a).expanduser().resolve() == b.resolve()


async def _settle(pipeline: TurnPipeline, wait_s: float) -> None:
    """Wait up to `wait_s` for the pipeline's background work; it is never cancelled."""
    try:
        await asyncio.wait_for(asyncio.shield(pipeline.drain()), wait_s)
    except TimeoutError:
        raise TandemError(
            "cannot switch the model while it is still summarising the conversation",
            "try again in a minute",
        ) from None


async def _restored(old: Endpoint, was_loaded: bool, n_threads: int) -> Endpoint:
    """The old local endpoint back after a failed switch, loaded again if it was loaded."""
    if not isinstance(old, LlamaCppEndpoint):
        return old  # its model was never unloaded
    again = old.fresh(n_threads=n_threads)
    if was_loaded:
        try:
            await again.prepare()
        except Exception as exc:  # it loaded before; the next turn tries again
            _log.warning("could not reload %s after a failed switch: %s", old.model_path, exc)
    return again
