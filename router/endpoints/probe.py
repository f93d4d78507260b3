"""How far away an endpoint is: a TCP connect to its host, timed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from router.endpoints.settings import RemoteEndpointSettings

DEFAULT_BASE_URLS = {"anthropic": "https://api.anthropic.com"}


@dataclass(frozen=True)
class Reachability:
    """Whether an endpoint's host answered, and how fast."""

    base_url: str
    reachable: bool
    connect_ms: float | None
    error: str = ""


def base_url_of(settings: RemoteEndpointSettings) -> str:
    """The endpoint's base URL, or its provider's default."""
    return settings.base_url or DEFAULT_BASE_URLS.get(settings.api, "")


async def probe(settings: RemoteEndpointSettings, timeout_s: float = 3.0) -> Reachability:
    """Open (and close) a TCP connection to the endpoint's host; never raises."""
    url = base_url_of(settings)
    parts = urlsplit(url)
    if not parts.hostname:
        return Reachability(url, False, None, "no base_url configured")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port), timeout=timeout_s
        )
    except TimeoutError:
        return Reachability(url, False, None, f"no answer within {timeout_s:g} s")
    except OSError as exc:
        return Reachability(url, False, None, exc.strerror or str(exc))
    elapsed_ms = (time.perf_counter() - started) * 1000
    writer.close()
    return Reachability(url, True, elapsed_ms)
