"""Streamable HTTP for `tandem mcp serve --transport http`: token, auth, Host/Origin checks.

The server binds 127.0.0.1 by default and always requires a bearer token: one
random token, generated once with `secrets` and stored in
`<config dir>/mcp-token` (mode 600), verified by the SDK's `TokenVerifier`
protocol in constant time. DNS-rebinding protection (Host and Origin
validation) is always on: loopback names are allowed, and binding any other
address requires naming the hosts clients will use (`--allow-host`).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.applications import Starlette

from mcp_servers.serve import ServeError, ServeOptions, build_server
from router.paths import TandemPaths, resolve_paths

TOKEN_FILE_NAME = "mcp-token"
MAX_REQUEST_BYTES = 2 * 1024 * 1024
"""Largest request body: room for the files server's 1 MiB write limit once JSON-escaped."""
MCP_PATH = "/mcp"
STOP_CLIENTS_S = 2
"""On shutdown, how long open client requests and streams get before they are cut off."""
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class TokenError(ServeError):
    """The MCP token file is unreadable or unsafe."""


def token_file(paths: TandemPaths | None = None) -> Path:
    """Where the MCP bearer token lives."""
    return (paths or resolve_paths()).config_dir / TOKEN_FILE_NAME


def load_or_create_token(paths: TandemPaths | None = None, *, rotate: bool = False) -> str:
    """The bearer token for HTTP clients, created (mode 600) the first time."""
    path = token_file(paths)
    if rotate:
        path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    try:
        # O_EXCL: two servers starting at once agree on the first token written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_token(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def _read_token(path: Path) -> str:
    if os.name == "posix":
        info = path.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise TokenError(
                f"{path} can be read by other users or belongs to someone else",
                "run `tandem mcp token --rotate` to replace it with a private one",
            )
    token = path.read_text("ascii", errors="replace").strip()
    if len(token) < 32:
        raise TokenError(f"{path} holds no usable token", "run `tandem mcp token --rotate`")
    return token


class StaticTokenVerifier:
    """Accepts exactly one bearer token (compared in constant time)."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        """The access info for the right token, None for any other."""
        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token=token, client_id="tandem-mcp-client", scopes=[])
        return None


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or name."""
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    return False


def transport_security(host: str, allowed_hosts: Sequence[str]) -> TransportSecuritySettings:
    """Host/Origin validation: loopback always, plus the hosts named for other binds."""
    if not is_loopback(host) and not allowed_hosts:
        raise ServeError(
            f"binding {host} exposes the server beyond this machine",
            "name the host names clients will use with --allow-host (e.g. --allow-host my-pc.lan)",
        )
    names = [*_LOOPBACK_NAMES, *allowed_hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{n}:*" for n in names] + list(allowed_hosts),
        allowed_origins=[f"{scheme}://{n}:*" for n in names for scheme in ("http", "https")],
    )


def http_app(
    options: ServeOptions,
    *,
    token: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    allowed_hosts: Sequence[str] = (),
    json_response: bool = False,
) -> Starlette:
    """The ASGI app serving `options` at /mcp behind the token and Host/Origin checks."""
    security = transport_security(host, allowed_hosts)
    url_host = f"[{host}]" if ":" in host else host
    auth = AuthSettings(
        issuer_url=AnyHttpUrl(f"http://{url_host}:{port}"),
        resource_server_url=None,
    )
    server, _tools = build_server(options, token_verifier=StaticTokenVerifier(token), auth=auth)
    return server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=json_response,
        max_request_body_size=MAX_REQUEST_BYTES,
        transport_security=security,
        host=host,
    )


def serve_http(
    options: ServeOptions,
    *,
    token: str,
    host: str,
    port: int,
    allowed_hosts: Sequence[str] = (),
) -> None:
    """Serve until interrupted."""
    import uvicorn

    app = http_app(options, token=token, host=host, port=port, allowed_hosts=allowed_hosts)
    # log_config=None: uvicorn's records go through the root logger (to `tandem`'s log file);
    # the timeout: an MCP client's open event stream would otherwise hold the shutdown forever.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=STOP_CLIENTS_S,
    )
    uvicorn.Server(config).run()
