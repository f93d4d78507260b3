"""Tandem's router: the public surface the front ends (GUI, CLI, MCP servers) use.

    from router import build_runtime, load_settings, TurnRequest, TurnFinished

    runtime = build_runtime(load_settings())
    async for event in runtime.pipeline.run_turn(TurnRequest(text="hi", session_id="s")):
        ...

Names load lazily, on first use, so `import router.types` (as the local model's
worker process does) does not pull in the whole runtime. The packages behind them:
`runtime/` (the composition root), `settings/`, `turn/` (the pipeline and its
events), `ledger/` (persistence), and the subsystems `policy/`, `privacy/`,
`context/`, `memory/`, `endpoints/`, `mcp/`, `models/`, `collab/`, `edge/`, `learn/`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> the module that defines it
_PUBLIC: dict[str, str] = {
    "TandemError": "router.errors",
    "ConfigError": "router.errors",
    "pip_install_command": "router.install_hints",
    "Endpoint": "router.endpoints.base",
    "Scanner": "router.privacy.scan",
    "PrivacyRule": "router.privacy.rules",
    "build_rules": "router.privacy.rules",
    "default_rules": "router.privacy.rules",
    "TeamPlan": "router.collab.run",
    "stream_team": "router.collab.run",
    "TeamResult": "router.collab.records",
    "Runtime": "router.runtime.compose",
    "build_runtime": "router.runtime.compose",
    "Settings": "router.settings.config",
    "load_settings": "router.settings.config",
    "save_and_apply": "router.runtime.save",
    "TandemPaths": "router.paths",
    "resolve_paths": "router.paths",
    "Attachment": "router.types",
    "Finding": "router.types",
    "FindingAction": "router.types",
    "GenerationOptions": "router.types",
    "Message": "router.types",
    "PrivacyReport": "router.types",
    "RouteDecision": "router.types",
    "Turn": "router.types",
    "TurnRequest": "router.types",
    "TurnStatus": "router.types",
    "Usage": "router.types",
    "is_on_device": "router.types",
    "new_id": "router.types",
    "TurnPipeline": "router.turn.pipeline",
    "TurnEvent": "router.turn.events",
    "RouteChosen": "router.turn.events",
    "RouteChanged": "router.turn.events",
    "FallbackStarted": "router.turn.events",
    "EscalationStarted": "router.turn.events",
    "ToolResultKeptLocal": "router.turn.events",
    "TokenDelta": "router.endpoints.base",
    "ToolCalled": "router.turn.events",
    "TurnFinished": "router.turn.events",
    "Ledger": "router.ledger.store",
    "SessionInfo": "router.ledger.store",
    "SentRequest": "router.ledger.sent",
    "ModelManager": "router.models.manager",
    "ModelEntry": "router.models.manager",
}

__all__ = [
    "Attachment",
    "ConfigError",
    "Endpoint",
    "EscalationStarted",
    "FallbackStarted",
    "Finding",
    "FindingAction",
    "GenerationOptions",
    "Ledger",
    "Message",
    "ModelEntry",
    "ModelManager",
    "PrivacyReport",
    "PrivacyRule",
    "RouteChanged",
    "RouteChosen",
    "RouteDecision",
    "Runtime",
    "Scanner",
    "SentRequest",
    "SessionInfo",
    "Settings",
    "TandemError",
    "TandemPaths",
    "TeamPlan",
    "TeamResult",
    "TokenDelta",
    "ToolCalled",
    "ToolResultKeptLocal",
    "Turn",
    "TurnEvent",
    "TurnFinished",
    "TurnPipeline",
    "TurnRequest",
    "TurnStatus",
    "Usage",
    "build_rules",
    "build_runtime",
    "default_rules",
    "is_on_device",
    "load_settings",
    "new_id",
    "pip_install_command",
    "resolve_paths",
    "save_and_apply",
    "stream_team",
]

if TYPE_CHECKING:
    from router.collab.records import TeamResult
    from router.collab.run import TeamPlan, stream_team
    from router.endpoints.base import Endpoint, TokenDelta
    from router.errors import ConfigError, TandemError
    from router.install_hints import pip_install_command
    from router.ledger.sent import SentRequest
    from router.ledger.store import Ledger, SessionInfo
    from router.models.manager import ModelEntry, ModelManager
    from router.paths import TandemPaths, resolve_paths
    from router.privacy.rules import PrivacyRule, build_rules, default_rules
    from router.privacy.scan import Scanner
    from router.runtime.compose import Runtime, build_runtime
    from router.runtime.save import save_and_apply
    from router.settings.config import Settings, load_settings
    from router.turn.events import (
        EscalationStarted,
        FallbackStarted,
        RouteChanged,
        RouteChosen,
        ToolCalled,
        ToolResultKeptLocal,
        TurnEvent,
        TurnFinished,
    )
    from router.turn.pipeline import TurnPipeline
    from router.types import (
        Attachment,
        Finding,
        FindingAction,
        GenerationOptions,
        Message,
        PrivacyReport,
        RouteDecision,
        Turn,
        TurnRequest,
        TurnStatus,
        Usage,
        is_on_device,
        new_id,
    )


def __getattr__(name: str) -> Any:
    """Load a public name from its module the first time it is used."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'router' has no attribute {name!r}")
    # Not cached here: the defining module stays the one source of truth (a test that
    # patches router.runtime.compose.build_runtime patches `router.build_runtime` too).
    return getattr(importlib.import_module(module), name)
