"""Stage `privacy.egress` for an attempt: placeholders for redacted values, then the last
check of the exact outbound bytes, and the guard that holds while the attempt runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import replace

from router.ledger.pseudonyms import PseudonymStore
from router.privacy import egress
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer, redact_attachments
from router.turn.attempt import Attempt, outbound_bytes
from router.types import PrivacyReport, ProtectedValue, TurnRequest


def outbound(
    pseudonyms: PseudonymStore, request: TurnRequest, report: PrivacyReport, attempt: Attempt
) -> Attempt:
    """The off-device attempt, redacted and checked at the egress guard.

    Raises `EgressBlockedError` when a protected value would still leave, or reach
    a zone it may not (a keep_mine value anywhere but the user's own devices).
    """
    attempt = redacted(pseudonyms, request, report, attempt)
    egress.check_outbound(outbound_bytes(attempt.packed), report, attempt.endpoint.zone)
    return attempt


def redacted(
    pseudonyms: PseudonymStore, request: TurnRequest, report: PrivacyReport, attempt: Attempt
) -> Attempt:
    """The off-device attempt with placeholders for every value a redact rule chose.

    Every message of the packed context is redacted (history too, and text
    attachments, rewritten to temporary files), and the values are protected
    at the egress guard for the whole request, redacted or not.
    """
    pseudonymizer = Pseudonymizer(pseudonyms, request.session_id)
    pseudonymizer.register(report.redact_values)
    known = pseudonyms.values(request.session_id)
    protected: tuple[ProtectedValue | str, ...] = (*report.protected, *known)
    if not known:  # nothing to redact in this session: send as packed
        return replace(attempt, protected=protected)
    files = tempfile.TemporaryDirectory(prefix="tandem-redacted-")
    messages = redact_attachments(
        [pseudonymizer.redact_message(m) for m in attempt.packed.messages],
        pseudonymizer,
        files.name,
    )
    decision = attempt.decision
    redactions = tuple(sorted({p.type for p in report.redact_values}))
    if report.action == "redact":
        decision = decision.model_copy(
            update={
                "redactions": redactions,
                # The policy's own reason (what it weighed) stays after the privacy note.
                "reason": f"redacted then sent: {report.reason}; {decision.reason}",
            }
        )
    elif report.action == "keep_mine" and redactions:
        # Kept on the user's devices, and even there a redacted value goes as a placeholder.
        decision = decision.model_copy(update={"redactions": redactions})
    packed = attempt.packed.model_copy(update={"messages": tuple(messages)})
    return replace(
        attempt,
        packed=packed,
        decision=decision,
        protected=protected,
        pseudonymizer=pseudonymizer,
        files=files,
    )


@asynccontextmanager
async def attempt_scope(policy: EgressPolicy, attempt: Attempt) -> AsyncIterator[None]:
    """While the attempt runs: its values guarded at the egress transports (off-device),
    and its redacted attachment copies on disk (removed when it ends)."""
    guard = nullcontext() if attempt.endpoint.on_device else policy.protect(attempt.protected)
    with guard, attempt.files or nullcontext():
        yield
