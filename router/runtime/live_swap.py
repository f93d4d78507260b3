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
from pathlib import Path
from typing import TYPE_CHECKING

from router.endpoints.base import Endpoint
from router.endpoints.gguf_file import inspect_gguf
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.settings import LocalModelSettings
from router.errors import ConfigError, ModelLoadError, TandemError
from router.install_hints import pip_install_command
from router.mcp.chat_host import DeviceBackends, build_chat_host
from router.mcp.settings import McpSettings
from router.models.bundled import Progress
from router.models.manager import ModelManager
from router.optional import available, missing_sentence
from router.runtime.optional_parts import NO_MCP_TOOLS
from router.turn.pipeline import TurnPipeline

if TYPE_CHECKING:
    from router.mcp.host import Confirm, ToolHost

_log = logging.getLogger(__name__)


async def switch_local_model(
    pipeline: TurnPipeline,
    models: ModelManager,
    local: LocalModelSettings,
    spec: str,
    progress: Progress | None,
    wait_s: float,
) -> None:
    """Resolve, check and load model `spec` as the pipeline's `local` endpoint.

    Changes only the pipeline's `local` endpoint and `models.active_spec`
    (`Runtime.switch_model` describes the behaviour).
    """
    spec = spec.strip()
    if not spec:
        raise ConfigError("no model given", "pick a model, or type a name or a .gguf path")
    path = await asyncio.to_thread(models.resolve, spec, progress)
    await asyncio.to_thread(inspect_gguf, path)  # a damaged file fails here, nothing changed
    current = pipeline.endpoints["local"]
    if isinstance(current, LlamaCppEndpoint) and _same_file(current.model_path, path):
        models.active_spec = spec  # already answering with this file
        return
    new = LlamaCppEndpoint.from_settings(path, local)
    live = pipeline.endpoints
    async with pipeline.gate.exclusive("switch the model", wait_s):
        # Summaries may still be generating with the old model in the background.
        await _settle(pipeline, wait_s)
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
                f"could not switch to {spec} ({reason}); still using {models.active_spec}",
                hint or "try another GGUF file",
            ) from exc
        live["local"] = new
        models.active_spec = spec
    await old.aclose()


async def reload_tool_host(
    pipeline: TurnPipeline,
    mcp: McpSettings,
    devices: DeviceBackends,
    confirm: Confirm | None,
    wait_s: float,
) -> None:
    """Build, connect and swap in the pipeline's tool host for `mcp`, asking `confirm`.

    Changes only the pipeline's tools and their settings (`Runtime.reload_tools`
    describes the behaviour).
    """
    if mcp.enabled and not available("mcp"):
        raise ConfigError(
            missing_sentence("mcp", NO_MCP_TOOLS, "nothing was changed"),
            f"reinstall Tandem to get it ({pip_install_command()}), or set [mcp] enabled = false",
        )
    old = pipeline.tools
    new: ToolHost | None = None
    if mcp.enabled:
        try:
            new = build_chat_host(mcp, pipeline.egress_policy, devices)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ConfigError(
                f"the MCP servers could not be set up ({exc}); nothing was changed",
                "fix or remove the server the message names, then try again",
            ) from exc
        new.confirm = confirm
    try:
        if new is not None:
            await new.ensure_started()  # a server that fails lands in new.errors, not here
        async with pipeline.gate.exclusive("reload the MCP servers", wait_s):
            pipeline.tools = new
            pipeline.max_tool_rounds = mcp.max_tool_rounds
            pipeline.offer_all_tools = mcp.offer == "all"
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
