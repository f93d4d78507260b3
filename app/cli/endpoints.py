"""`tandem endpoints list|test|key`: the off-device endpoints and their health."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from app.present.endpoints import ping
from app.present.turn import stats_line
from router import (
    ConfigError,
    Endpoint,
    Ledger,
    Settings,
    TandemError,
    TandemPaths,
    load_settings,
    resolve_paths,
)
from router.endpoints.pricing import PriceTable
from router.endpoints.probe import Reachability, base_url_of, probe
from router.endpoints.registry import build_remote_endpoint
from router.endpoints.secrets import delete_api_key, get_api_key, set_api_key
from router.endpoints.settings import RemoteEndpointSettings


def run_endpoints(args: argparse.Namespace) -> int:
    """Run a `tandem endpoints` action and return the exit code."""
    paths = resolve_paths().ensure()
    settings = load_settings(paths)
    if args.endpoints_command == "list":
        return asyncio.run(_list(settings, paths))
    if args.endpoints_command == "test":
        return asyncio.run(_test_all(settings, paths, args.name))
    return _key(settings, paths, args.name, delete=args.delete)


def _find(settings: Settings, name: str) -> RemoteEndpointSettings:
    for remote in settings.endpoints:
        if remote.name == name:
            return remote
    names = ", ".join(e.name for e in settings.endpoints) or "none configured"
    raise ConfigError(f"no endpoint named {name!r} ({names})", "add it under [[endpoints]]")


async def _list(settings: Settings, paths: TandemPaths) -> int:
    prices = PriceTable.load(paths)
    print(f"routing policy: {settings.routing.policy}")
    print(f"local    device  model {settings.local.model}  (free, private)")
    if not settings.endpoints:
        print("no off-device endpoints; add [[endpoints]] to the config (see `tandem config path`)")
        return 0
    checks = await asyncio.gather(*(probe(e) for e in settings.endpoints))
    for remote, check in zip(settings.endpoints, checks, strict=True):
        price = prices.price(remote.model)
        cost = f"${price.input:g}/${price.output:g} per Mtok" if price else "price unknown"
        key = "key set" if get_api_key(remote, paths) else "no key"
        kind = f"{remote.kind} (mine)" if remote.mine else remote.kind  # one of your devices
        print(
            f"{remote.name:<8} {kind:<6}  {remote.api}:{remote.model}  {base_url_of(remote)}"
            f"  {_reach(check)}  {cost}  {key}"
        )
    return 0


def _reach(check: Reachability) -> str:
    if check.reachable and check.connect_ms is not None:
        return f"reachable ({check.connect_ms:.0f} ms)"
    return f"unreachable ({check.error})"


async def _test_all(settings: Settings, paths: TandemPaths, only: str | None) -> int:
    targets = [_find(settings, only)] if only else settings.endpoints
    if not targets:
        print("no off-device endpoints to test; add [[endpoints]] to the config")
        return 0
    from router.runtime.compose import recorded_egress

    prices = PriceTable.load(paths)
    failures = 0
    ledger = Ledger(paths.ledger_file)  # the tests' requests go in its record, like any other
    try:
        egress = recorded_egress(ledger)
        for remote in targets:
            endpoint = build_remote_endpoint(remote, settings.resilience, paths, prices, egress)
            try:
                print(f"{remote.name}: {await _test_one(endpoint)}")
            except TandemError as exc:
                failures += 1
                print(f"{remote.name}: FAILED: {exc}")
            finally:
                await endpoint.aclose()
    finally:
        ledger.close()
    return 1 if failures else 0


async def _test_one(endpoint: Endpoint) -> str:
    text, end = await ping(endpoint)
    stats = stats_line(end.usage if end else None, "complete")
    return f"ok, answered {text.strip()[:40]!r} · {stats} · ${end.usage.cost_usd if end else 0:.6f}"


def _key(settings: Settings, paths: TandemPaths, name: str, *, delete: bool) -> int:
    remote = _find(settings, name)
    if delete:
        delete_api_key(remote.name, paths)
        print(f"removed the saved key of {remote.name}")
        return 0
    prompt = f"API key for {remote.name} (input hidden): "
    key = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
    key = key.strip()
    if not key:
        raise ConfigError("no key given", "paste the key at the prompt, or pipe it on stdin")
    where = set_api_key(remote.name, key, paths)
    print(f"saved the key of {remote.name} ({where})")
    return 0
