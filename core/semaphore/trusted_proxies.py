"""The client's address behind reverse proxies the operator trusts (the ``trusted_proxies`` setting).

``X-Forwarded-For`` is only believed when the direct peer is a trusted proxy: each proxy appends the
address it received the request from, so the list is read from the right, skipping trusted proxies,
and the first address that is not one is the client. Anything left of it was written by that client
and may be forged. A peer that is no trusted proxy is the client, whatever the header says.

The middleware puts that address into ``REMOTE_ADDR``, so every user of ``request.remote_addr`` (login
throttling, sessions, logs) sees the same client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from semaphore.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str], setting: str = "trusted_proxies") -> tuple[Network, ...]:
    """Addresses (a single host) and CIDR networks; anything else is a ConfigError naming it."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigError(f"{setting}: {entry!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, else the right-most address of
    ``X-Forwarded-For`` (repeated headers joined with commas) that is no trusted proxy."""
    if not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer  # only trusted proxies: the farthest one is the best we know


class TrustedProxies:
    """WSGI middleware: ``REMOTE_ADDR`` becomes the client's address (see the module docstring)."""

    def __init__(self, app: Any, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")  # repeated headers arrive joined with commas
        if forwarded and self.networks:
            environ["REMOTE_ADDR"] = client_address(peer, forwarded, self.networks)
        return self.app(environ, start_response)
