"""Tandem tool specs in the OpenAI `tools` shape.

The OpenAI chat completions API and llama.cpp's chat templates (which iterate
over the same list) both take tools as `{"type": "function", "function": {...}}`.
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
