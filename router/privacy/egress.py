"""Stage 4, `privacy.egress`: the last check on the exact bytes leaving the device.

It runs on the serialized request, not on the pipeline's intentions, so a bug
upstream that lets a local-only value slip into a prompt is still caught.
"""

from __future__ import annotations

from router.errors import EgressBlockedError
from router.privacy.guard import carries_any
from router.privacy.zones import blocked_values
from router.types import PrivacyReport, Zone


def check_outbound(payload: bytes, report: PrivacyReport, zone: Zone = "cloud") -> None:
    """Raise `EgressBlockedError` if `payload`, bound for `zone`, carries a value that may
    not go there: off the device, every protected value but, to the user's own devices,
    those only a keep_mine rule protects (zones.py).

    Values are matched the way the transport guard matches them (raw, JSON-escaped,
    URL- and base64-encoded; short ones as whole words, as redaction replaces them),
    so this check and the guard agree on what a leak is.
    """
    if carries_any(payload, blocked_values(report, zone)):
        raise EgressBlockedError(
            "blocked an outbound request that contained data a privacy rule keeps off it",
            "the turn was not sent; it can be answered on this device instead",
        )
