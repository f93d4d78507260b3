"""`tandem edge serve`: serve this device's model to other devices (a phone, a laptop).

Resolves the model like `tandem chat` does (assembling the bundled one if
needed), loads it before listening, so the first request is not slow, and
serves until Ctrl-C or SIGTERM, letting open answers finish for a moment. The
key comes from --api-key or, kept out of the process list, TANDEM_EDGE_API_KEY.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from datetime import UTC, datetime

from app.progress import terminal_progress
from app.shutdown import STOPPER
from router import ModelManager, TandemError, load_settings, resolve_paths
from router.edge.server import serve
from router.endpoints.llama_cpp import LlamaCppEndpoint

MODEL_ID = "tandem-edge"
"""The name clients use: stable across model changes, so their configs keep working."""
KEY_ENV = "TANDEM_EDGE_API_KEY"
"""Where the key may come from instead of --api-key, which other users can see in `ps`."""


def run_edge(args: argparse.Namespace) -> int:
    """Run `tandem edge serve` and return the exit code."""
    if args.max_queue < 0:
        raise TandemError("--max-queue must be 0 or more", "0 means: no request waits")
    if not 0 <= args.port <= 65535:
        raise TandemError(f"--port {args.port} is not a port", "use 1-65535, or 0 for any")
    paths = resolve_paths().ensure()
    settings = load_settings(paths)
    manager = ModelManager(paths.models_dir, settings.local.model)
    model_path = manager.resolve(args.model, progress=terminal_progress("preparing bundled model"))
    endpoint = LlamaCppEndpoint.from_settings(model_path, settings.local, name="edge")
    made = datetime.fromtimestamp(model_path.stat().st_mtime, UTC)
    api_key = args.api_key or os.environ.get(KEY_ENV, "").strip() or None

    async def main() -> None:
        print(f"loading {model_path.name} ...", file=sys.stderr, flush=True)
        await endpoint.prepare()
        try:
            await serve(
                endpoint,
                model_id=MODEL_ID,
                host=args.host,
                port=args.port,
                api_key=api_key,
                max_queue=args.max_queue,
                defaults=settings.generation,
                display_name=f"Tandem edge ({model_path.stem})",
                created_at=made,
                announce=lambda text: print(text, flush=True),
            )
        finally:
            await endpoint.aclose()

    # uvicorn shuts down gracefully on SIGTERM and SIGINT, then raises them again: with the
    # default handlers the process would die there, before saying it stopped.
    STOPPER.raise_keyboard_interrupt()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the server is stopped
        asyncio.run(main())
    print("edge server stopped", file=sys.stderr, flush=True)
    return 0
