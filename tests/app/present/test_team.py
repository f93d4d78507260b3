"""Team runs as text: progress lines, the closing summary, topologies from the options."""

import pytest

from app.present.team import progress_line, summary_line, topology_for
from router.collab.agents import TeamConfigError
from router.collab.events import MessageSent, StepStarted, TeamStarted
from router.collab.records import Assignment, TeamMessage, TeamResult


def test_progress_lines_name_agents_hops_and_records() -> None:
    started = TeamStarted(agents=("a1 (local)", "a2 (cloud)"), active=(0,), privacy="kept")
    assert progress_line(started) == "[team] a1 (local), a2 (cloud) [sits out] · privacy: kept"
    assert progress_line(StepStarted(step=1, title="round 1")) == "── round 1"
    hop = TeamMessage(
        step=0, sender=1, receiver=2, origin=0, text="x", tokens=5,
        record=Assignment(step=0, worker=2, instruction="x"),
    )  # fmt: skip
    assert progress_line(MessageSent(message=hop)) == "  a2 → a3: 5 tok [assignment] (relaying a1)"


def test_the_summary_line_says_when_a_budget_stopped_the_team() -> None:
    result = TeamResult(
        pattern="debate", topology="mesh", agents=("a1 (local)",), status="budget_exhausted",
        answer="7", reason="the team stopped: token budget spent", rounds=1,
    )  # fmt: skip
    assert summary_line(result).startswith("[budget_exhausted · the team stopped: token budget")


def test_a_custom_graph_comes_from_the_graph_option() -> None:
    topo = topology_for("custom", 3, "0:1,2;1:2;2:0")
    assert topo.name == "custom" and topo.edges == {(0, 1), (0, 2), (1, 2), (2, 0)}
    with pytest.raises(TeamConfigError, match="--topology custom needs --graph"):
        topology_for("custom", 3, None)
    assert topology_for("star", 4, None).path(1, 2) == [1, 0, 2]
