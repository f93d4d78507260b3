"""Check of the memory's embedding model: installed, and (when loading) that it embeds."""

from __future__ import annotations

import math

from app.doctor.check import Check, Context
from router import pip_install_command


def check_embedding(context: Context) -> Check:
    """The embedding model of the memory search."""
    from router.memory import embedding

    files = [embedding.model_file(), embedding.tokenizer_file()]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        return Check(
            "embedding",
            "Embedding model",
            "problem",
            f"missing: {', '.join(missing)}",
            pip_install_command(force=True),
        )
    detail = f"{embedding.MODEL_ID} ({files[0]})"
    if context.load:
        vector = embedding.shared_embedder().embed_one("Tandem checks its setup.")
        if vector.shape != (embedding.DIMENSIONS,) or not math.isclose(
            float((vector * vector).sum()), 1.0, rel_tol=1e-3
        ):
            return Check(
                "embedding",
                "Embedding model",
                "problem",
                f"{detail} loads but gives a wrong vector (shape {vector.shape})",
                pip_install_command(force=True),
            )
        detail += ", loads and embeds"
    return Check("embedding", "Embedding model", "ok", detail)
