"""The service behind the `assistant` MCP server: Tandem's own runtime, answering outside
assistants (Claude Desktop, Claude Code, a peer Tandem).

The tool surface (names, wire shapes, input checks) is `mcp_servers/assistant.py`;
this module is what answers, built from the runtime here in the composition root,
so the device servers never import the runtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import anyio.to_thread

from mcp_servers.assistant import FindingSpan, RoutePreview, ScanResult
from router.privacy.scan import Scanner
from router.privacy.zones import KEPT, ZONE_NAMES, kept_in, strictest
from router.runtime.ask_local import answer_on_device
from router.runtime.compose import Runtime, build_runtime, scanner_for
from router.settings.config import load_settings
from router.types import PrivacyReport, TurnRequest

PREVIEW_SESSION = "mcp-route-preview"


class AssistantService:
    """Builds the Tandem runtime on first use and serves the assistant tools from it."""

    def __init__(self, model: str | None = None, *, roots: Sequence[str] | None = None) -> None:
        """`model` overrides the configured model; `roots` are the folders `ask_local`'s model
        may read (`tandem mcp serve --root`), by default the `[mcp] roots`."""
        self._model = model
        self.roots = None if roots is None else tuple(roots)
        self._runtime: Runtime | None = None
        self._scanner: Scanner | None = None
        self._lock = asyncio.Lock()

    async def runtime(self) -> Runtime:
        """The shared runtime (built once; building may assemble the bundled model)."""
        async with self._lock:
            if self._runtime is None:
                self._runtime = await anyio.to_thread.run_sync(
                    lambda: build_runtime(model=self._model)
                )
            return self._runtime

    def scanner(self) -> Scanner:
        """The privacy scanner under the user's rules; needs no model, so no runtime."""
        if self._scanner is None:
            self._scanner = scanner_for(load_settings())
        return self._scanner

    async def ask_local(self, question: str, context: str | None = None) -> str:
        """The device model's answer to `question` (optional `context` before it), as released.

        The model may read the shared folders and is given related earlier
        conversations from this device's memory (router/runtime/ask_local.py);
        nothing leaves the device, and the answer passes `released_answer`.
        """
        runtime = await self.runtime()
        prompt = f"{context.strip()}\n\n{question}" if context and context.strip() else question
        answer = await answer_on_device(runtime, prompt, question=question, roots=self.roots)
        scanner = runtime.pipeline.scanner
        report = await anyio.to_thread.run_sync(lambda: scanner.scan(_request(answer), []))
        return released_answer(answer, report, given=prompt)

    async def privacy_scan(self, text: str) -> ScanResult:
        """Scan `text` as a chat turn is scanned; positions only, no values.

        With `[privacy] judge = "device"` the names in doubt go to the device model,
        as in a turn, so the runtime (and its model) is built for it.
        """
        scanner = self.scanner()
        if scanner.judge is not None:
            scanner = (await self.runtime()).pipeline.scanner
        return scan_result(await scanner.scan_judged(_request(text), []))

    async def route_preview(self, text: str) -> RoutePreview:
        """Where `text` would go: scan, features, decide, privacy enforcement; nothing runs."""
        pipeline = (await self.runtime()).pipeline
        request = _request(text)
        off_device = any(not e.on_device for e in pipeline.endpoints.values())
        report = await pipeline.scanner.scan_judged(request, [], judge=off_device)

        def decide() -> RoutePreview:
            # Scanned, decided and enforced exactly as run_turn does it.
            decision = pipeline.route(request, report, [])
            return RoutePreview(
                endpoint=decision.endpoint,
                endpoint_kind=decision.endpoint_kind,
                policy=decision.policy,
                reason=decision.reason,
                privacy_action=decision.privacy_action,
                zone=decision.zone,
                redactions=list(decision.redactions),
            )

        return await anyio.to_thread.run_sync(decide)

    async def aclose(self) -> None:
        """Close the runtime (model, ledger) if it was built."""
        if self._runtime is not None:
            await self._runtime.aclose()
            self._runtime = None


def released_answer(answer: str, report: PrivacyReport, *, given: str) -> str:
    """What of the device's answer may go back to the (possibly off-device) MCP client.

    Values the client sent itself (in `given`) go back as they are. A new value a
    rule keeps local, or on the user's devices (the client is not known to be one),
    withholds the answer; a new value a rule redacts is replaced by its type, as the
    cloud would see it.
    """
    new = [p for p in report.protected if p.value not in given]
    kept = [p.action for p in new if p.action in KEPT]
    if kept:
        where = ZONE_NAMES[kept_in(strictest(kept))]
        return (
            f"[withheld: the answer holds data that must stay on {where} "
            f"({report.reason}); ask in Tandem itself to see it]"
        )
    for value in sorted(new, key=lambda p: len(p.value), reverse=True):
        answer = answer.replace(value.value, f"<{value.type}>")
    return answer


def _request(text: str) -> TurnRequest:
    return TurnRequest(text=text, session_id=PREVIEW_SESSION)


def scan_result(report: PrivacyReport) -> ScanResult:
    """The report as the tool returns it: finding positions of the text, never values."""
    return ScanResult(
        keep_local=report.keep_local,
        action=report.action,
        rule=report.rule,
        reason=report.reason,
        findings=[
            FindingSpan(
                type=f.type,
                category=f.category,
                start=f.start,
                end=f.end,
                confidence=f.confidence,
                detector=f.detector,
            )
            for f in report.findings
            if f.part == "text"
        ],
    )
