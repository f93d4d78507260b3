import pytest

from router.collab.topology import (
    TopologyError,
    build_topology,
    custom,
    mesh,
    parse_adjacency,
    ring,
    star,
    tree,
)


def test_mesh_joins_every_ordered_pair() -> None:
    topo = mesh(4)
    assert len(topo.edges) == 4 * 3
    assert topo.senders_to(2) == [0, 1, 3]


def test_star_links_the_coordinator_both_ways_and_nothing_else() -> None:
    topo = star(4)
    assert topo.edges == {(0, 1), (1, 0), (0, 2), (2, 0), (0, 3), (3, 0)}
    assert topo.path(1, 3) == [1, 0, 3]


def test_ring_is_a_one_way_relay() -> None:
    topo = ring(4)
    assert topo.edges == {(0, 1), (1, 2), (2, 3), (3, 0)}
    assert topo.path(0, 3) == [0, 1, 2, 3]
    assert topo.path(3, 2) == [3, 0, 1, 2]


def test_binary_tree_links_parents_and_children() -> None:
    topo = tree(5)
    assert topo.edges == {(0, 1), (1, 0), (0, 2), (2, 0), (1, 3), (3, 1), (1, 4), (4, 1)}
    assert topo.path(3, 2) == [3, 1, 0, 2]


def test_custom_graph_from_an_adjacency_string() -> None:
    topo = custom(parse_adjacency("0:1,2; 1:2"))
    assert topo.size == 3
    assert topo.edges == {(0, 1), (0, 2), (1, 2)}
    with pytest.raises(TopologyError, match="no route from agent 2 to agent 0"):
        topo.path(2, 0)


def test_bad_graphs_and_names_say_what_to_do() -> None:
    with pytest.raises(TopologyError, match="no self-loops"):
        custom({0: [0]})
    with pytest.raises(TopologyError, match="sender:receiver"):
        parse_adjacency("a:b")
    with pytest.raises(TopologyError, match="choose one of mesh, star, ring, tree"):
        build_topology("hypercube", 3)
