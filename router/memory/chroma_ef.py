"""A Chroma `EmbeddingFunction` backed by Tandem's offline MiniLM embedder.

Every collection Tandem opens is given this function, so Chroma never falls
back to its default one (which downloads a model at run time).
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from router.memory.embedding import MODEL_ID, MiniLMEmbedder, shared_embedder

EF_NAME = "tandem-minilm-int8"


@register_embedding_function
class TandemEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 (int8 ONNX, on this device) as a Chroma embedding function."""

    def __init__(self, embedder: MiniLMEmbedder | None = None) -> None:
        """Wrap `embedder`, or the process-wide shared one when None."""
        self._embedder = embedder or shared_embedder()

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents into 384-d unit vectors."""
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        """The name Chroma records in the collection's configuration."""
        return EF_NAME

    def default_space(self) -> Space:
        """Vectors are unit length, so cosine is the natural space."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Unit vectors make cosine, inner product and L2 rank identically."""
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> TandemEmbeddingFunction:
        """Rebuild from a stored configuration (always the shared offline embedder)."""
        return TandemEmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        """The configuration Chroma stores with the collection."""
        return {"model": MODEL_ID}
