"""Trust zones: how far the data a privacy rule decided may travel.

Three zones, nearest first (`router.types.Zone`, `zone_of`):

- `device`: this device (endpoints of kind `local`);
- `mine`: the user's own devices: an edge endpoint marked `mine = true`, such as
  the desktop Tandem a phone is paired with, or the user's own edge box;
- `cloud`: everything else: providers, and edge servers not marked as the user's.

What each rule action lets a turn reach, and a value's own text:

    action      the turn may go to        the value's own text may go to
    keep_local  device                    device
    keep_mine   device, mine              device, mine
    redact      device, mine, cloud       device (elsewhere only as a placeholder)
    allow       device, mine, cloud       anywhere

A turn takes its strictest finding's action: keep_local > keep_mine > redact >
allow, since each step lets the turn reach fewer places. A value decided twice
keeps the stricter *value* action, and there redact comes before keep_mine: a
redacted value leaves no device as text, a keep_mine one reaches the user's.
Edge servers not marked as the user's, HTTP MCP servers and a memory server are
never `mine`.
"""

from __future__ import annotations

from collections.abc import Iterable

from router.types import KEPT_ACTIONS, FindingAction, PrivacyReport, ProtectedValue, Zone

STRICTNESS: dict[FindingAction, int] = {"allow": 0, "redact": 1, "keep_mine": 2, "keep_local": 3}
"""How strict an action is for a turn: the fewer zones it may reach, the stricter."""
_VALUE_STRICTNESS: dict[FindingAction, int] = {
    "allow": 0,
    "keep_mine": 1,
    "redact": 2,
    "keep_local": 3,
}
KEPT = KEPT_ACTIONS
"""The actions that keep a turn out of the cloud (the rest let it go there)."""
_TURN_REACH: dict[FindingAction, frozenset[Zone]] = {
    "keep_local": frozenset({"device"}),
    "keep_mine": frozenset({"device", "mine"}),
    "redact": frozenset({"device", "mine", "cloud"}),
    "allow": frozenset({"device", "mine", "cloud"}),
}
_VALUE_REACH: dict[FindingAction, frozenset[Zone]] = {
    **_TURN_REACH,
    "redact": frozenset({"device"}),
}
ZONE_NAMES: dict[Zone, str] = {"device": "this device", "mine": "your devices", "cloud": "cloud"}
"""Each zone in words, as the badge, the detail panel and the terminal chat say it."""


def may_reach(action: FindingAction, zone: Zone) -> bool:
    """Whether a turn (or a text) whose verdict is `action` may be sent to `zone`."""
    return zone in _TURN_REACH[action]


def value_may_reach(action: FindingAction, zone: Zone) -> bool:
    """Whether a value a rule decided `action` may be sent to `zone` as its own text."""
    return zone in _VALUE_REACH[action]


def stricter(a: FindingAction, b: FindingAction) -> FindingAction:
    """The stricter of two turn verdicts (the one that may reach fewer zones)."""
    return a if STRICTNESS[a] >= STRICTNESS[b] else b


def strictest(actions: Iterable[FindingAction]) -> FindingAction:
    """The strictest of several turn verdicts; `allow` when there are none."""
    out: FindingAction = "allow"
    for action in actions:
        out = stricter(out, action)
    return out


def stricter_value(a: FindingAction, b: FindingAction) -> FindingAction:
    """The stricter of two actions on one value (the one whose text reaches fewer zones)."""
    return a if _VALUE_STRICTNESS[a] >= _VALUE_STRICTNESS[b] else b


def kept_in(action: FindingAction) -> Zone:
    """The farthest zone a kept (keep_local or keep_mine) value or turn may reach."""
    return "mine" if action == "keep_mine" else "device"


def kept_note(action: FindingAction, reason: str) -> str:
    """Why a turn stayed where it did, e.g. `kept on your devices: names a client`."""
    where = "on your devices" if action == "keep_mine" else "local"
    return f"kept {where}: {reason}"


def blocked_values(report: PrivacyReport, zone: Zone) -> tuple[str, ...]:
    """The strings of `report` that no request to `zone` may carry.

    Off the device every protected value counts, except, for the user's own
    devices, the spellings of values only a keep_mine rule protects. A spelling
    that another value shares stays blocked: when in doubt, it does not leave.
    """
    if zone == "device":
        return ()
    if zone == "cloud":
        return report.local_only_values
    mine_ok = {s for p in report.protected if p.action == "keep_mine" for s in _spellings(p)}
    mine_ok -= {s for p in report.protected if p.action != "keep_mine" for s in _spellings(p)}
    return tuple(v for v in report.local_only_values if v not in mine_ok)


def _spellings(value: ProtectedValue) -> tuple[str, ...]:
    """A protected value and its variants."""
    return (value.value, *value.variants)
