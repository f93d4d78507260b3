"""Arguments to an off-device tool are an outbound request: scanned and redacted first.

A streamable-HTTP MCP server runs on another machine, so what a call sends it
leaves the device like a prompt to the cloud, and the same rules decide it.
Before such a call its arguments pass the turn's privacy scan and rules:

- a value a rule keeps on the device, or on the user's devices (a tool server is
  never one of them), refuses the call: the model reads why, and
  the user sees the same sentence (`PreparedCall.refusal`). That covers values the
  detectors find in the arguments and values the turn already knows to keep
  local, however the model spelled them (a card number without its spaces);
- in a turn whose context holds text a rule keeps local, every call is refused
  (`kept_turn_refusal`, decided by the tool loop): a rule may keep text for its
  source or topic (a diary server, a health question) with no value in it that
  this scan or the guard would know again, and the model may have copied it;
- a value a rule redacts leaves only as its placeholder, the one the cloud would
  have got. So placeholders an off-device model wrote are not restored, and real
  values a device model wrote, or copied from a tool result, are replaced.

The HTTP client's egress guard still checks the bytes of the request
(router/privacy/guard.py), with the values found here added to the turn's.
Tools on this device get the real values instead (`router.mcp.turn.restored_call`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from router.mcp.turn import map_text, texts_of
from router.privacy.redact import Pseudonymizer, value_pattern
from router.privacy.rules import RuleSubject
from router.privacy.scan import Scanner
from router.privacy.zones import KEPT, ZONE_NAMES, kept_in
from router.types import FindingAction, ProtectedValue, ToolCall, TurnRequest, Zone

_KEPT = "carries data"
"""The reason shown when no rule by type explains why a known value stays local."""


@dataclass(frozen=True)
class PreparedCall:
    """A call as its tool gets it, or why it must not be made."""

    call: ToolCall
    """For another machine, every redact value is its placeholder (on this device the
    real values: `restored_call`); when refused, the call as the model asked for it."""
    refusal: str | None = None
    """For the model and the user: why the call was not sent; None when it may be."""
    protected: tuple[ProtectedValue, ...] = ()
    """Values found in the arguments, for the egress guard while the call runs."""


def refusal(name: str, reason: str, zone: Zone = "device") -> str:
    """The sentence the model and the user read when a rule keeps a call's data in `zone`."""
    return (
        f"{name} was not sent: the call {reason}, which your privacy rules keep on "
        f"{ZONE_NAMES[zone]}; leave that out, or use a tool on this device"
    )


def kept_turn_refusal(name: str, source: str, zone: Zone = "device") -> str:
    """The sentence the model and the user read when the turn holds text kept in `zone`.

    `source` says which: "rule: diary", or "an earlier turn of this conversation".
    """
    return (
        f"{name} was not sent: this turn holds text your privacy rules keep on "
        f"{ZONE_NAMES[zone]} ({source}), so no tool on another machine may be called in it; "
        "ask in a new conversation without that text, or use a tool on this device"
    )


def prepare_off_device(
    requested: ToolCall,
    scanner: Scanner,
    pseudonymizer: Pseudonymizer,
    kept: Sequence[ProtectedValue] = (),
) -> PreparedCall:
    """Scan `requested`'s arguments and redact them for a tool on another machine.

    `kept` are the turn's values a rule keeps local or on the user's devices (with their
    other spellings);
    `pseudonymizer` holds the session's placeholders, the turn's redact values
    already registered, and gets the arguments' own.
    """
    text = "\n".join(texts_of(requested.arguments))
    request = TurnRequest(text=text, session_id=pseudonymizer.session_id)
    report = scanner.scan(request, [])
    if report.action in KEPT:
        said = refusal(requested.name, report.reason, kept_in(report.action))
        return PreparedCall(requested, said, report.protected)
    known = _known_kept(text, kept)
    if known is not None:
        reason = _reason_for(scanner, known.type, known.action)
        said = refusal(requested.name, reason, kept_in(known.action))
        return PreparedCall(requested, said, (*report.protected, known))
    pseudonymizer.register(report.redact_values)
    arguments = map_text(requested.arguments, pseudonymizer.redact)
    return PreparedCall(
        requested.model_copy(update={"arguments": arguments}), None, report.protected
    )


def _known_kept(text: str, kept: Sequence[ProtectedValue]) -> ProtectedValue | None:
    """The first of `kept` that `text` carries in any of its spellings."""
    for value in kept:
        spellings = (value.value, *value.variants)
        if any(s.strip() and re.search(value_pattern(s), text) for s in spellings):
            return value
    return None


def _reason_for(scanner: Scanner, type_: str, action: FindingAction) -> str:
    """Why the rules keep a value of `type_` as `action` says, as its rule says it
    ("contains ...")."""
    decision = scanner.rules.decide(RuleSubject(type=type_))
    if decision.action == action and decision.rule is not None:
        return decision.rule.reason
    return _KEPT
