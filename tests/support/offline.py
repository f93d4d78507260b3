"""Outbound sockets blocked for a test: every attempt is refused and remembered.

    attempts = block_outbound(monkeypatch)
    ...  # code under test
    assert attempts == []

Loopback stays open (llama.cpp servers, fault servers, the GUI's local page run
there); anything else raises `ConnectionRefusedError` at once, the way a
firewalled machine would, and is listed in the returned attempts so a test can
say which host something tried to reach.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths never leave the machine
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already be an outbound request


def block_outbound(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse every non-loopback connection until the test ends; returns the attempts."""
    attempts: list[str] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    create_connection, getaddrinfo = socket.create_connection, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            attempts.append(f"connect {address!r}")
            raise ConnectionRefusedError(f"test blocks outbound connections: {address!r}")
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            attempts.append(f"connect {address!r}")
            raise ConnectionRefusedError(f"test blocks outbound connections: {address!r}")
        return connect_ex(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _is_loopback(address):
            attempts.append(f"create_connection {address!r}")
            raise ConnectionRefusedError(f"test blocks outbound connections: {address!r}")
        return create_connection(address, *args, **kwargs)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback((host,)):
            attempts.append(f"resolve {host!r}")
            raise socket.gaierror(f"test blocks name lookups: {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return attempts
