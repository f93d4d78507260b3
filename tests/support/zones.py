"""One off-device endpoint per kind of destination, each recording what reaches it.

    zoned = Zoned.build()               # cloud, lab (an edge not yours), desk (mine)
    pipeline = make_pipeline(endpoints=zoned.endpoints, egress_policy=zoned.policy, ...)
    assert SECRET.encode() not in zoned.received("cloud")

Every request to `cloud`, `lab` and `desk` goes through the real egress guard
(tests/support/wire.py) with the transport's own zone, so a value the guard
blocks never reaches the record, and what each one got is exactly its bytes.
The device's model is a `FakeEndpoint` named `local` that echoes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from router.endpoints.base import Endpoint
from router.endpoints.fake import FakeEndpoint
from router.endpoints.function import FunctionEndpoint
from router.privacy.guard import EgressPolicy
from router.privacy.rules import PrivacyRule
from router.types import EndpointKind, zone_of
from tests.support.wire import Wire, through_the_wire

FALCON = PrivacyRule(
    name="falcon", keywords=["project Falcon"], action="keep_mine", reason="names a project"
)
"""A rule that keeps turns naming the project on the user's devices."""
REMOTES: dict[str, tuple[EndpointKind, bool]] = {
    "cloud": ("cloud", False),
    "lab": ("edge", False),
    "desk": ("edge", True),
}
"""Each off-device endpoint: its kind, and whether it is one of the user's devices."""


@dataclass
class Zoned:
    """The endpoints (in routing order), their wires and the egress policy they share."""

    policy: EgressPolicy
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    wires: dict[str, Wire] = field(default_factory=dict)

    @classmethod
    def build(cls, order: Sequence[str] = ("cloud", "lab", "desk"), *, local: bool = True) -> Zoned:
        """Off-device endpoints in `order` (a policy preferring remotes takes the first
        allowed), then the device's `local` unless `local` is False."""
        zoned = cls(EgressPolicy())
        for name in order:
            kind, mine = REMOTES[name]
            wire = Wire(zoned.policy, name, zone_of(kind, mine))
            zoned.wires[name] = wire
            zoned.endpoints[name] = FunctionEndpoint(
                through_the_wire(wire), name=name, kind=kind, mine=mine, context_window=8000
            )
        if local:
            zoned.endpoints["local"] = FakeEndpoint(name="local", context_window=8000)
        return zoned

    def received(self, name: str) -> bytes:
        """Every byte the endpoint `name` was sent, all requests together."""
        return b"".join(self.wires[name].sent)

    def down(self, name: str) -> None:
        """Mark endpoint `name` unreachable (its breaker open, say)."""
        endpoint = self.endpoints[name]
        assert isinstance(endpoint, FunctionEndpoint)
        endpoint.up = False
