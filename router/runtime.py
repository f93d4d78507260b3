"""Assembles a ready-to-use Tandem from settings: paths, ledger, endpoints, pipeline.

Every front end (terminal chat, GUI, MCP `assistant` server) starts here, so they
all drive the same pipeline with the same configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from router.config import RoutingSettings, Settings, load_settings
from router.context.manager import ContextManager
from router.context.summary_store import SummaryStore
from router.endpoints.base import Endpoint
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.registry import build_remote_endpoint
from router.errors import ConfigError
from router.ledger import Ledger
from router.mcp.chat_host import DeviceBackends, build_chat_host
from router.memory.embedding import shared_embedder
from router.memory.live import LiveMemory
from router.models.bundled import Progress
from router.models.manager import ModelManager
from router.paths import TandemPaths, resolve_paths
from router.policy.decide import policy_for
from router.policy.factory import limits_of
from router.policy.features import LatencyTracker
from router.pricing import PriceTable
from router.privacy.guard import EgressPolicy
from router.privacy.redact import PseudonymStore
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.session import TurnPipeline

_log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a front end needs to serve turns."""

    paths: TandemPaths
    settings: Settings
    ledger: Ledger
    models: ModelManager
    pipeline: TurnPipeline
    memory: LiveMemory | None = None
    """The Chroma index of every turn, when `[memory] enabled`."""
    devices: DeviceBackends = field(default_factory=DeviceBackends)
    """Where the chat's built-in device tools read from; kept for rebuilt tool hosts."""

    @property
    def local(self) -> Endpoint:
        """The on-device endpoint."""
        return self.pipeline.endpoints["local"]

    def apply_settings(self, settings: Settings) -> None:
        """Use `settings`' privacy rules, detectors, routing policy and budgets from the next turn.

        Endpoints, the model and MCP servers are not rebuilt: changing them needs a
        restart. The detector (NER loads a spaCy model) is kept when its switches
        are unchanged, so editing rules is instant.
        """
        routing = settings.routing
        _check_routing_targets(routing, self.pipeline.endpoints)
        old = self.pipeline.scanner
        scanner = _scanner(settings)
        if (old.ner, old.topics, old.names) == (scanner.ner, scanner.topics, scanner.names):
            scanner.detect, scanner.extract = old.detect, old.extract
        # Built before anything is replaced: a bad policy artifact leaves the runtime as it was.
        policy = policy_for(routing.policy, routing, self.ledger)
        self.pipeline.scanner = scanner
        self.pipeline.policy = policy
        self.pipeline.budget_limits = limits_of(routing)
        self.pipeline.cascade_samples = routing.cascade_samples
        if _needs_embedding(routing) and self.pipeline.embedder is None:
            self.pipeline.embedder = shared_embedder()  # the learned router reads embeddings
        self.settings = settings

    async def aclose(self) -> None:
        """Finish background work (memory index, summary), then close endpoints and the ledger."""
        await self.pipeline.drain()
        for endpoint in self.pipeline.endpoints.values():
            try:
                await endpoint.aclose()
            except RuntimeError as exc:
                # A GUI's loop has ended by the time it closes the runtime from a new
                # one; HTTP clients bound to the old loop cannot close, and their
                # sockets go with the process anyway. Keep closing the rest.
                _log.debug("could not close endpoint %s: %s", endpoint.name, exc)
        if self.pipeline.context is not None:
            self.pipeline.context.summaries.close()
        if self.memory is not None:
            self.memory.close()
        if self.pipeline.tools is not None:
            await self.pipeline.tools.aclose()
        self.ledger.close()


def build_runtime(
    paths: TandemPaths | None = None,
    settings: Settings | None = None,
    *,
    model: str | None = None,
    progress: Progress | None = None,
    endpoints: dict[str, Endpoint] | None = None,
    devices: DeviceBackends | None = None,
) -> Runtime:
    """Create the runtime; `model` overrides the configured model spec.

    Resolving the bundled model may assemble it (about 500 MB written once), so
    `progress` is called with (bytes done, total). Loading weights is deferred
    to the first turn or to an explicit `await runtime.local.prepare()`.
    `devices`: where the chat's built-in device tools read from (default: this host).
    """
    paths = (paths or resolve_paths()).ensure()
    settings = settings or load_settings(paths)
    devices = devices or DeviceBackends()
    manager = ModelManager(paths.models_dir, model or settings.local.model)
    egress = EgressPolicy()
    if endpoints is None:
        model_path = manager.resolve(progress=progress)
        endpoints = {
            "local": LlamaCppEndpoint(
                model_path,
                name="local",
                n_ctx=settings.local.n_ctx,
                n_threads=settings.local.n_threads,
            )
        }
        prices = PriceTable.load(paths)
        for remote in settings.endpoints:
            if remote.name in endpoints:
                raise ConfigError(
                    f"two endpoints are named {remote.name!r}",
                    "give each [[endpoints]] entry its own name ('local' is the device)",
                )
            endpoints[remote.name] = build_remote_endpoint(
                remote, settings.resilience, paths, prices, egress
            )
    ledger = Ledger(paths.ledger_file)
    memory = LiveMemory(paths, settings.memory) if settings.memory.enabled else None
    routing = settings.routing
    _check_routing_targets(routing, endpoints)
    latency = LatencyTracker()
    latency.seed(ledger)  # start from measured latencies, not defaults, after a restart
    pipeline = TurnPipeline(
        endpoints=endpoints,
        policy=policy_for(routing.policy, routing, ledger),
        ledger=ledger,
        generation=settings.generation,
        system_prompt=settings.chat.system_prompt,
        fallback_to_local=settings.resilience.fallback_to_local,
        scanner=_scanner(settings),
        egress_policy=egress,
        # Placeholders live in their own table of the ledger's file (see redact.py).
        pseudonyms=PseudonymStore(paths.ledger_file),
        budget_limits=limits_of(routing),
        latency=latency,
        embedder=shared_embedder() if _needs_embedding(routing) else None,
        cascade_samples=routing.cascade_samples,
        # Summaries live in their own table of the ledger's file (see summary_store.py).
        context=ContextManager(
            settings.context,
            SummaryStore(paths.ledger_file),
            retriever_for=memory.retriever if memory else None,
        ),
    )
    if memory is not None:
        pipeline.after_turn_hooks.append(memory.index)
    if settings.mcp.enabled:
        pipeline.tools = build_chat_host(settings.mcp, egress, devices)
        pipeline.max_tool_rounds = settings.mcp.max_tool_rounds
        pipeline.offer_all_tools = settings.mcp.offer == "all"
    return Runtime(
        paths=paths,
        settings=settings,
        ledger=ledger,
        models=manager,
        pipeline=pipeline,
        memory=memory,
        devices=devices,
    )


def _scanner(settings: Settings) -> Scanner:
    """The privacy scanner the settings describe: the user's rules first, then the defaults."""
    privacy = settings.privacy
    return Scanner(
        rules=build_rules(privacy.rules),
        ner=privacy.ner,
        topics=privacy.topics,
        names=privacy.names == "strict",
    )


def _check_routing_targets(routing: RoutingSettings, endpoints: Mapping[str, Endpoint]) -> None:
    """Fail at start-up, not mid-conversation, when routing names an unknown endpoint."""
    names = [r.action for r in routing.rules if r.action not in ("local", "remote")]
    if routing.cascade_escalate_to:
        names.append(routing.cascade_escalate_to)
    for name in names:
        if name not in endpoints:
            raise ConfigError(
                f"[routing] names endpoint {name!r}, which is not configured",
                f"use `local`, `remote`, or one of: {', '.join(endpoints)}",
            )


def _needs_embedding(routing: RoutingSettings) -> bool:
    """Embed each turn when asked to, or when the policy's trained router reads embeddings."""
    uses_router = routing.policy in ("learned", "budget") and bool(routing.learned_router)
    return routing.embed_features or uses_router
