"""The team's privacy gate: what each agent may read, decided and enforced on the device.

- The task is scanned once. A keep-local verdict runs the team on device agents
  only (the off-device agents sit out); a keep_mine one on device agents and
  agents on an edge marked as the user's (the rest sit out). The values a rule
  protects get placeholders for the whole run.
- Every prompt to an off-device agent (one on the user's own edge too: a team
  relays text between agents, so that is the simplest line that holds) is
  redacted with every placeholder known so far, then scanned again, since an
  agent may repeat a private value or write a new one that other agents relay;
  anything the rules do not allow gets a placeholder too. Then its exact bytes
  go through an egress check, and the run holds every value at the shared HTTP
  egress guard as a backstop.
- Device agents and the final answer get the real values back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from router.ledger.pseudonyms import PseudonymStore
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer
from router.privacy.scan import Scanner
from router.types import (
    FindingAction,
    Message,
    PrivacyReport,
    ProtectedValue,
    TurnRequest,
    new_id,
)


@dataclass
class TeamPrivacy:
    """Scans the task, redacts off-device prompts, restores answers, guards egress."""

    scanner: Scanner | None = None
    """None skips scanning (benchmarks on fake endpoints); the egress check still runs."""
    pseudonyms: PseudonymStore = field(default_factory=PseudonymStore)
    egress: EgressPolicy | None = None
    """The runtime's shared policy, so its guarded HTTP clients block these values too."""
    session_id: str = field(default_factory=lambda: f"team-{new_id()}")
    report: PrivacyReport = field(default_factory=PrivacyReport)
    _check: EgressPolicy = field(default_factory=EgressPolicy)
    _guards: ExitStack = field(default_factory=ExitStack)
    _protected: set[str] = field(default_factory=set)

    @property
    def pseudonymizer(self) -> Pseudonymizer:
        """Placeholders for this run."""
        return Pseudonymizer(self.pseudonyms, self.session_id)

    async def assess(self, task: str) -> PrivacyReport:
        """Scan the task; register its redact values and guard its protected values."""
        if self.scanner is not None:
            scanner = self.scanner
            request = TurnRequest(text=task, session_id=self.session_id)
            self.report = await asyncio.to_thread(scanner.scan, request, [])
        self._protect(self.report.protected)
        return self.report

    @property
    def keep_local(self) -> bool:
        """True when the task must stay on the device."""
        return self.report.keep_local

    def summary(self) -> str:
        """One line on what the scan decided, for the result."""
        if self.report.keep_local:
            return f"kept on this device: {self.report.reason}"
        if self.report.action == "keep_mine":
            return f"kept on your devices: {self.report.reason}"
        if self.report.redact_values:
            kinds = ", ".join(sorted({p.type for p in self.report.redact_values}))
            return f"redacted for off-device agents ({kinds}): {self.report.reason}"
        return self.report.reason

    async def action_for(self, text: str) -> FindingAction:
        """The verdict `text` would get on its own (e.g. one subtask): where it may go."""
        if self.scanner is None:
            return "allow"
        scanner = self.scanner
        request = TurnRequest(text=text, session_id=self.session_id)
        return (await asyncio.to_thread(scanner.scan, request, [])).action

    async def outbound(self, messages: Sequence[Message], *, off_device: bool) -> list[Message]:
        """The messages as this agent may read them; raises `EgressBlockedError` as a backstop."""
        if not off_device:
            return [m.model_copy(update={"content": self.restore(m.content)}) for m in messages]
        pseudonymizer = self.pseudonymizer
        redacted = [pseudonymizer.redact_message(m) for m in messages]
        if self.scanner is not None:
            fresh = await self._rescan("\n\n".join(m.content for m in redacted))
            if fresh:
                pseudonymizer.register(fresh)
                self._protect(fresh)
                redacted = [pseudonymizer.redact_message(m) for m in redacted]
        payload = "".join(m.model_dump_json() for m in redacted).encode("utf-8")
        self._check.check(payload, endpoint="an off-device team agent")
        return redacted

    async def _rescan(self, text: str) -> list[ProtectedValue]:
        """Values in a relayed text that the rules protect (keep-local ones get placeholders)."""
        assert self.scanner is not None
        scanner = self.scanner
        request = TurnRequest(text=text, session_id=self.session_id)
        report = await asyncio.to_thread(scanner.scan, request, [])
        # Our own placeholders look like names in capitals to the scan; they are not private.
        placeholders = self.pseudonyms.originals(self.session_id)
        return [
            p
            for p in report.protected
            if p.value not in self._protected and not any(p.value in ph for ph in placeholders)
        ]

    def restore(self, text: str) -> str:
        """Put the real values back (on the device) in place of placeholders."""
        return self.pseudonymizer.restore(text)

    def _protect(self, values: Sequence[ProtectedValue]) -> None:
        new = [v for v in values if v.value not in self._protected]
        if not new:
            return
        self._protected.update(v.value for v in new)
        self.pseudonymizer.register([v.model_copy(update={"action": "redact"}) for v in new])
        self._guards.enter_context(self._check.protect(new))
        if self.egress is not None:
            self._guards.enter_context(self.egress.protect(new))

    def close(self) -> None:
        """Stop guarding this run's values at the shared egress policy."""
        self._guards.close()
