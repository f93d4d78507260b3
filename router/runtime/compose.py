"""Assembles a ready-to-use Tandem from settings: paths, ledger, endpoints, pipeline.

Every front end (terminal chat, GUI, MCP `assistant` server) starts here, so they
all drive the same pipeline with the same configuration. A running runtime takes
settings changes live: `apply_settings` (privacy, routing, budgets),
`switch_model` (the local model) and `reload_tools` (the MCP servers); the last
two wait for in-flight turns first (see router/turn/gate.py).
Parts that need an optional package are left out without it (router/runtime/optional_parts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from router.context.stage import ContextStage
from router.endpoints.base import Endpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.registry import build_remote_endpoint
from router.errors import ConfigError, TandemError
from router.ledger.database import Database
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.store import Ledger
from router.ledger.summaries import SummaryStore
from router.mcp.chat_host import DeviceBackends
from router.mcp.settings import McpSettings
from router.models.bundled import Progress
from router.models.manager import ModelManager
from router.paths import TandemPaths, resolve_paths
from router.policy.factory import limits_of, policy_for
from router.policy.features import LatencyTracker
from router.policy.resources import sensors_for
from router.policy.settings import RoutingSettings
from router.privacy.detectors.registry import default_detectors
from router.privacy.guard import EgressPolicy
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.runtime.live_swap import reload_tool_host, switch_local_model
from router.runtime.memory import LiveMemory, ScannerScreen
from router.runtime.optional_parts import (
    chat_tool_host,
    device_model,
    live_memory,
    needs_embedding,
    routing_embedder,
)
from router.settings.config import Settings, load_settings
from router.turn.gate import TurnGate
from router.turn.name_judge import DeviceJudge
from router.turn.pipeline import TurnPipeline

if TYPE_CHECKING:
    from router.mcp.host import Confirm

_log = logging.getLogger(__name__)

TURN_WAIT_S = 60.0
"""How long a model switch or tool reload waits for in-flight turns before it is refused."""


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
    tool_confirm: Confirm | None = field(default=None, repr=False)
    """The consent callback the chat's tool host had last; `reload_tools` carries it over."""

    @property
    def database(self) -> Database:
        """The ledger's database: turns, sent requests, summaries and placeholders share it."""
        return self.ledger.db

    @property
    def local(self) -> Endpoint:
        """The on-device endpoint; `TandemError` when this runtime has none (no llama.cpp)."""
        endpoint = self.pipeline.endpoints.get("local")
        if endpoint is None:
            raise TandemError(
                "this runtime has no on-device model",
                "install llama-cpp-python and restart Tandem, or use an off-device endpoint",
            )
        return endpoint

    def _device_model(self) -> Endpoint | None:
        """The on-device endpoint of the moment (a model switch replaces it)."""
        return self.pipeline.endpoints.get("local")

    @property
    def turns(self) -> TurnGate:
        """The gate every turn passes; live swaps take it exclusively."""
        return self.pipeline.gate

    def apply_settings(self, settings: Settings) -> None:
        """Use `settings`' privacy rules, detectors, routing policy and budgets from the next turn.

        Endpoints, the model and MCP servers are not rebuilt here: the GUI replaces
        off-device endpoints itself, and `switch_model` / `reload_tools` swap the
        model and the MCP servers. The NER detector is shared by the process (its
        spaCy model loads once) and findings are cached per detector list, so
        editing rules is instant.
        """
        routing = settings.routing
        _check_routing_targets(routing, self.pipeline.endpoints)
        scanner = scanner_for(settings, self._device_model)
        # Built before anything is replaced: a bad policy artifact leaves the runtime as it was.
        policy = policy_for(routing.policy, routing, self.ledger)
        self.pipeline.scanner = scanner
        self.pipeline.policy = policy
        self.pipeline.budget_limits = limits_of(routing)
        self.pipeline.cascade_samples = routing.cascade_samples
        if needs_embedding(routing) and self.pipeline.embedder is None:
            self.pipeline.embedder = routing_embedder(routing)  # the learned router reads them
        self.settings = settings

    async def switch_model(
        self, spec: str, progress: Progress | None = None, *, wait_s: float = TURN_WAIT_S
    ) -> None:
        """Answer on-device turns with model `spec` from now on, without a restart.

        `spec` is `bundled`, the name of a model in the models folder, or a .gguf
        path. It is resolved (the bundled model may be assembled first; `progress`
        gets (bytes done, total), from a worker thread) and its header checked
        before anything changes. Then, with no turn in flight (waiting at most
        `wait_s`, see `TurnGate.exclusive`), the old model's memory is freed and
        the new one loaded, so only one model is in memory at a time. If llama.cpp
        refuses the new file, the old model is put back (reloaded if it was
        loaded) and `ModelLoadError` is raised; a bad spec or a damaged file
        raises `ModelNotFoundError` / `ModelFormatError` with nothing changed.
        `models.active_spec` follows; the settings file is not written (that is
        `save_and_apply`'s job).
        """
        await switch_local_model(
            self.pipeline, self.models, self.settings.local, spec, progress, wait_s
        )

    async def reload_tools(
        self, settings: McpSettings | Settings, *, wait_s: float = TURN_WAIT_S
    ) -> None:
        """Offer the tools of the MCP servers `settings` lists from the next turn, no restart.

        A new host is built with `build_chat_host` (the pipeline's egress policy,
        this runtime's `devices`) and connected first (every server, the unchanged
        ones too: a host's server list is fixed once built), so its `errors` say at once
        which servers failed. It gets the old host's `confirm` callback (the GUI's
        consent dialog; kept in `tool_confirm`, so it also survives `[mcp] enabled
        = false` and back). It is swapped in with no turn in flight (waiting at most
        `wait_s`; turns that start meanwhile wait for the swap), with
        `max_tool_rounds` and `offer`; the old host is closed after
        (its stdio servers stop). `enabled = false` removes the tools. A host that
        cannot be built raises `ConfigError`, a refused swap `TandemError`, and the
        runtime is unchanged then. `settings.mcp` is updated to match.
        """
        mcp = settings.mcp if isinstance(settings, Settings) else settings
        old = self.pipeline.tools
        if old is not None and old.confirm is not None:
            self.tool_confirm = old.confirm  # the GUI's consent dialog outlives the host
        await reload_tool_host(self.pipeline, mcp, self.devices, self.tool_confirm, wait_s)
        self.settings = self.settings.model_copy(update={"mcp": mcp})

    async def aclose(self) -> None:
        """Finish background work (memory index, summary), then close endpoints and the database.

        The database (the ledger's file, every store in it) is closed last, once,
        even when closing something before it failed.
        """
        try:
            await self.pipeline.drain()
            for endpoint in self.pipeline.endpoints.values():
                try:
                    await endpoint.aclose()
                except RuntimeError as exc:
                    # A GUI's loop has ended by the time it closes the runtime from a new
                    # one; HTTP clients bound to the old loop cannot close, and their
                    # sockets go with the process anyway. Keep closing the rest.
                    _log.debug("could not close endpoint %s: %s", endpoint.name, exc)
            if self.memory is not None:
                self.memory.close()
            if self.pipeline.tools is not None:
                await self.pipeline.tools.aclose()
        finally:
            for database in self._databases():
                database.close()

    def _databases(self) -> list[Database]:
        """Every database the runtime's stores use, each once (one, as build_runtime wires it)."""
        pipeline = self.pipeline
        stores = [self.ledger.db, pipeline.pseudonyms.db]
        if pipeline.context is not None:
            stores.append(pipeline.context.summaries.db)
        return list({id(db): db for db in stores}.values())


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
    database = Database(paths.ledger_file)  # the one connection to the ledger's file
    try:
        ledger = Ledger(database)
        egress = recorded_egress(ledger)
        if endpoints is None:
            device = device_model(manager, settings.local, progress)  # none without llama.cpp
            endpoints = _with_remotes(device, paths, settings, egress)
        # A memory server gets what the cloud got: placeholders, through the guard.
        memory = live_memory(paths, settings.memory, PseudonymStore(database), egress)
        pipeline = _pipeline(settings, endpoints, ledger, egress, memory, devices)
        if memory is not None:
            # A search's query reaches a memory server only as the current rules allow.
            memory.screen = ScannerScreen(lambda: pipeline.scanner)
    except BaseException:
        database.close()  # nothing else will: the runtime was never made
        raise
    return Runtime(
        paths=paths,
        settings=settings,
        ledger=ledger,
        models=manager,
        pipeline=pipeline,
        memory=memory,
        devices=devices,
    )


def recorded_egress(ledger: Ledger) -> EgressPolicy:
    """The egress policy every outbound client is made with: guarded, writing the record.

    One way out: the factory's clients (endpoints, judges, MCP servers, peers, the
    memory server) check each request against this policy and write it to the
    ledger's record of outbound requests (`ledger.outbound`). Commands that do not
    build a whole runtime (`tandem endpoints test`, `tandem memory`) take it here too.
    """
    return EgressPolicy(recorder=ledger.outbound)


def _pipeline(
    settings: Settings,
    endpoints: dict[str, Endpoint],
    ledger: Ledger,
    egress: EgressPolicy,
    memory: LiveMemory | None,
    devices: DeviceBackends,
) -> TurnPipeline:
    """The turn pipeline the settings describe, over `endpoints`."""
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
        scanner=scanner_for(settings, lambda: endpoints.get("local")),
        egress_policy=egress,
        # Placeholders and summaries: their own tables, on the ledger's connection.
        pseudonyms=PseudonymStore(ledger.db),
        budget_limits=limits_of(routing),
        latency=latency,
        resources=sensors_for(metered=routing.metered_network, sense=routing.sense_resources),
        embedder=routing_embedder(routing),
        cascade_samples=routing.cascade_samples,
        # Summaries live in their own table of the ledger's file (see router/ledger/summaries.py).
        context=ContextStage(
            settings.context,
            SummaryStore(ledger.db),
            retriever_for=memory.retriever if memory else None,
        ),
    )
    if memory is not None:
        pipeline.after_turn_hooks.append(memory.index)
    if settings.mcp.enabled:
        pipeline.tools = chat_tool_host(settings.mcp, egress, devices)  # none without mcp
        pipeline.max_tool_rounds = settings.mcp.max_tool_rounds
        pipeline.offer_all_tools = settings.mcp.offer == "all"
    return pipeline


def _with_remotes(
    endpoints: dict[str, Endpoint], paths: TandemPaths, settings: Settings, egress: EgressPolicy
) -> dict[str, Endpoint]:
    """`endpoints` plus every configured `[[endpoints]]` entry, behind the egress guard."""
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
    return endpoints


def scanner_for(
    settings: Settings, device_model: Callable[[], Endpoint | None] | None = None
) -> Scanner:
    """The privacy scanner the settings describe: the user's rules first, then the defaults.

    The detectors follow the `[privacy]` switches; NER's spaCy model loads on first use.
    With `judge = "device"`, names in doubt go to `device_model()` (the model of the
    moment); with no `device_model` there is nothing to ask and they stay private.
    """
    privacy = settings.privacy
    detectors = default_detectors(
        ner=privacy.ner, topics=privacy.topics, names=privacy.names == "strict"
    )
    judge = DeviceJudge(device_model or _no_model) if privacy.judge == "device" else None
    return Scanner(rules=build_rules(privacy.rules), detectors=detectors, judge=judge)


def _no_model() -> Endpoint | None:
    """No device model to judge with: names in doubt stay private."""
    return None


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
