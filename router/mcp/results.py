"""MCP tool results as the text a model reads back."""

from __future__ import annotations

import json
from typing import Any

from mcp_types import (
    AudioContent,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)


def result_text(result: CallToolResult, max_chars: int) -> str:
    """The result's content as text: text blocks, placeholders for media, structured JSON.

    Structured content is serialised when the text blocks do not already
    carry it (the spec asks servers to send it as text too, and MCPServer
    does). Media is described, not inlined: base64 would flood a small
    context window, and no endpoint here takes images back from tools yet.
    """
    pieces = [_block_text(block) for block in result.content]
    text = "\n".join(p for p in pieces if p)
    structured = result.structured_content
    if structured is not None and not any(isinstance(b, TextContent) for b in result.content):
        dumped = json.dumps(structured, ensure_ascii=False, sort_keys=True)
        text = f"{text}\n{dumped}" if text else dumped
    return truncate(text, max_chars)


def truncate(text: str, max_chars: int) -> str:
    """`text`, cut to `max_chars` with a note saying how much was left out."""
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n[... {len(text) - max_chars} more characters left out]"


def _block_text(block: Any) -> str:
    if isinstance(block, TextContent):
        return block.text
    if isinstance(block, ImageContent | AudioContent):
        kind = "image" if isinstance(block, ImageContent) else "audio"
        return f"[{kind}: {block.mime_type}, {len(block.data) * 3 // 4} bytes]"
    if isinstance(block, EmbeddedResource):
        resource = block.resource
        if isinstance(resource, TextResourceContents):
            return resource.text
        return f"[resource {resource.uri}: {resource.mime_type or 'binary'}]"
    if isinstance(block, ResourceLink):
        return f"[resource link {block.uri}: {block.name}]"
    return f"[{getattr(block, 'type', 'unknown')} content]"
