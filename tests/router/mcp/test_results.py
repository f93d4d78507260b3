"""MCP tool results as text for the models."""

from __future__ import annotations

from mcp_types import CallToolResult, ImageContent, TextContent

from router.mcp.results import result_text


def test_structured_content_alone_is_serialised() -> None:
    result = CallToolResult(content=[], structured_content={"percent": 50, "ok": True})
    assert result_text(result, 1000) == '{"ok": true, "percent": 50}'


def test_text_blocks_win_over_the_same_structured_content() -> None:
    result = CallToolResult(
        content=[TextContent(type="text", text="50%")], structured_content={"percent": 50}
    )
    assert result_text(result, 1000) == "50%"


def test_images_are_described_not_inlined() -> None:
    image = ImageContent(type="image", data="QUJD" * 100, mime_type="image/jpeg")
    text = result_text(CallToolResult(content=[image]), 1000)
    assert text == "[image: image/jpeg, 300 bytes]"


def test_long_results_are_cut_with_a_note() -> None:
    result = CallToolResult(content=[TextContent(type="text", text="x" * 500)])
    text = result_text(result, 300)
    assert text.startswith("x" * 300) and text.endswith("[... 200 more characters left out]")
