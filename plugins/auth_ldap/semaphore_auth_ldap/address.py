"""Where the LDAP server is: ``ldap_server`` as ``host:port``, or as an ``ldap://`` / ``ldaps://`` URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from semaphore.plugin_api.errors import ServiceUnavailable

PLAIN_PORT, TLS_PORT = 389, 636


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int
    #: TLS from the first byte (LDAPS), not StartTLS.
    use_ssl: bool

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'ldaps' if self.use_ssl else 'ldap'}://{host}:{self.port}"


def parse_server(value: str, needtls: bool) -> ServerAddress:
    """``ldap_server`` and ``ldap_needtls`` to an address; an ``ldaps://`` URL implies LDAPS.
    A missing port is the scheme's usual one (389, LDAPS 636)."""
    text = value.strip()
    if not text:
        raise ServiceUnavailable("LDAP login is enabled but ldap_server is not set")
    parts = urlsplit(text if "://" in text else f"//{text}")
    if parts.scheme not in ("", "ldap", "ldaps") or not parts.hostname or parts.path not in ("", "/"):
        raise ServiceUnavailable(f"ldap_server {value!r} is not host:port or an ldap:// or ldaps:// URL")
    use_ssl = needtls or parts.scheme == "ldaps"
    try:
        port = parts.port or (TLS_PORT if use_ssl else PLAIN_PORT)
    except ValueError:
        raise ServiceUnavailable(f"ldap_server {value!r} has no valid port") from None
    return ServerAddress(host=parts.hostname, port=port, use_ssl=use_ssl)
