"""The Tandem edge server: serve this device's model over the Anthropic (and OpenAI) API."""

from router.edge.server import create_app, serve

__all__ = ["create_app", "serve"]
