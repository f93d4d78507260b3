"""Tandem tool specs (`ToolSpec`) as the model APIs take them.

The OpenAI chat completions API and llama.cpp's chat templates (which iterate
over the same list) both take tools as `{"type": "function", "function": {...}}`;
the Anthropic Messages API takes `{"name", "description", "input_schema"}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from router.types import ToolSpec


def openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tool specs as OpenAI `tools` (functions with a JSON Schema of their parameters)."""
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema,
            },
        }
        for t in tools
    ]


def anthropic_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tool specs as the Anthropic Messages API's `tools` parameter."""
    return [
        {"name": t.name, "input_schema": t.input_schema}
        | ({"description": t.description} if t.description else {})
        for t in tools
    ]
