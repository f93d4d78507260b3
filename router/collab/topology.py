"""Communication topologies: who may send a message to whom.

A topology is a directed graph over agent indices 0..n-1. Debate sends each
agent's answer along its out-edges; the other patterns route a message from
the coordinator (agent 0) to a worker along a shortest path, so on a ring a
message relays through the agents in between, and every hop is metered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from router.errors import TandemError

TOPOLOGIES = ("mesh", "star", "ring", "tree")


class TopologyError(TandemError):
    """A topology cannot be built or does not connect the agents a pattern needs."""


@dataclass(frozen=True)
class Topology:
    """A named directed graph over agents 0..size-1."""

    name: str
    size: int
    edges: frozenset[tuple[int, int]]

    def __post_init__(self) -> None:
        for a, b in self.edges:
            if a == b or not (0 <= a < self.size and 0 <= b < self.size):
                raise TopologyError(
                    f"edge {a}->{b} does not join two different agents of {self.size}",
                    "use indices 0..n-1 and no self-loops",
                )

    def senders_to(self, agent: int) -> list[int]:
        """The agents whose messages `agent` receives directly (its in-neighbours)."""
        return sorted(a for a, b in self.edges if b == agent)

    def receivers_from(self, agent: int) -> list[int]:
        """The agents `agent` sends to directly (its out-neighbours)."""
        return sorted(b for a, b in self.edges if a == agent)

    def path(self, source: int, target: int) -> list[int]:
        """The shortest route from `source` to `target`, both included (BFS, lowest index first)."""
        if source == target:
            return [source]
        previous: dict[int, int] = {source: source}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for nxt in self.receivers_from(node):
                if nxt not in previous:
                    previous[nxt] = node
                    if nxt == target:
                        return _walk_back(previous, source, target)
                    queue.append(nxt)
        raise TopologyError(
            f"the {self.name} topology has no route from agent {source} to agent {target}",
            "add edges that connect them, or choose mesh, star, ring or tree",
        )


def _walk_back(previous: Mapping[int, int], source: int, target: int) -> list[int]:
    route = [target]
    while route[-1] != source:
        route.append(previous[route[-1]])
    return route[::-1]


def _both_ways(pairs: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    return frozenset(e for a, b in pairs for e in ((a, b), (b, a)))


def mesh(n: int) -> Topology:
    """Fully connected: every agent talks to every other (n(n-1) directed edges)."""
    return Topology("mesh", n, frozenset((a, b) for a in range(n) for b in range(n) if a != b))


def star(n: int, center: int = 0) -> Topology:
    """A coordinator (`center`) linked both ways to every other agent."""
    return Topology("star", n, _both_ways((center, b) for b in range(n) if b != center))


def ring(n: int) -> Topology:
    """A one-way relay ring: agent i sends to agent i+1, the last to the first."""
    if n < 2:
        return Topology("ring", n, frozenset())
    return Topology("ring", n, frozenset((a, (a + 1) % n) for a in range(n)))


def tree(n: int, branching: int = 2) -> Topology:
    """A rooted tree (agent 0 the root), parents and children linked both ways."""
    if branching < 1:
        raise TopologyError("a tree needs a branching factor of at least 1", "use 2 or more")
    return Topology("tree", n, _both_ways(((b - 1) // branching, b) for b in range(1, n)))


def custom(adjacency: Mapping[int, Sequence[int]], size: int | None = None) -> Topology:
    """A graph from an adjacency list: `{sender: [receivers, ...]}` (directed)."""
    nodes = set(adjacency) | {b for bs in adjacency.values() for b in bs}
    n = size if size is not None else (max(nodes) + 1 if nodes else 0)
    return Topology("custom", n, frozenset((a, b) for a, bs in adjacency.items() for b in bs))


def parse_adjacency(spec: str) -> dict[int, list[int]]:
    """Read `0:1,2;1:2` (sender: receivers; entries separated by `;`) into an adjacency list."""
    adjacency: dict[int, list[int]] = {}
    for entry in filter(None, (e.strip() for e in spec.split(";"))):
        head, _, tail = entry.partition(":")
        try:
            adjacency[int(head)] = [int(t) for t in tail.split(",") if t.strip()]
        except ValueError:
            raise TopologyError(
                f"cannot read the graph entry {entry!r}",
                "write sender:receiver,receiver entries separated by ';', e.g. 0:1,2;1:2",
            ) from None
    return adjacency


def build_topology(name: str, n: int) -> Topology:
    """The named topology over `n` agents (mesh, star, ring or tree)."""
    builders = {"mesh": mesh, "star": star, "ring": ring, "tree": tree}
    if name not in builders:
        raise TopologyError(
            f"unknown topology {name!r}",
            f"choose one of {', '.join(TOPOLOGIES)}, or a custom graph",
        )
    return builders[name](n)
