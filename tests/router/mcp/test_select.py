"""A turn is offered only the tools its question is about."""

from router.mcp.select import content_words, relevant_servers_tools, relevant_tools
from router.types import ToolSpec

TOOLS = [
    ToolSpec(
        name="sensors__battery", description="Battery charge level and whether it is plugged in."
    ),
    ToolSpec(name="sensors__cpu", description="CPU load per core."),
    ToolSpec(name="files__read", description="Read a text file in the shared folders."),
]


def _names(question: str) -> list[str]:
    return [t.name for t in relevant_tools(TOOLS, question)]


def test_a_question_gets_the_tools_it_mentions() -> None:
    assert _names("what is my battery level?") == ["sensors__battery"]
    assert _names("How busy is the CPU?") == ["sensors__cpu"]
    assert _names("please read the file notes.txt") == ["files__read"]


def test_a_question_about_nothing_a_tool_does_gets_no_tools() -> None:
    assert _names("write me a haiku about spring") == []
    assert _names("what is it?") == []  # function words alone match nothing


def test_plurals_match_and_the_limit_holds() -> None:
    assert "battery" in content_words("Batteries")
    many = [ToolSpec(name=f"t{i}", description="battery") for i in range(20)]
    assert len(relevant_tools(many, "battery", limit=8)) == 8


def test_a_relevant_tool_brings_its_whole_server() -> None:
    offered = [t.name for t in relevant_servers_tools(TOOLS, "what is my battery level?")]
    assert offered == ["sensors__battery", "sensors__cpu"]
    assert relevant_servers_tools(TOOLS, "write me a haiku") == ()
