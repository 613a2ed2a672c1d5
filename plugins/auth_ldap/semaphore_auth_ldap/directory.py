"""Talking to the LDAP server with ldap3: connections (LDAPS or StartTLS, certificate checks,
timeouts), binds and searches. Every failure leaves as one of the core's errors, with a message
that names the server and the setting involved, and never a password."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from semaphore.plugin_api.errors import ServiceUnavailable

from .address import ServerAddress, parse_server
from .settings import LdapSettings
from .tls import tls_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    dn: str
    attributes: dict[str, Any]


class Directory:
    """The configured LDAP server (``ldap_*`` settings)."""

    def __init__(self, settings: LdapSettings) -> None:
        self.settings = settings
        self.address: ServerAddress = parse_server(settings.ldap_server, settings.ldap_needtls)
        self.timeout: int | None = settings.ldap_timeout or None  # 0: wait as long as it takes

    @contextmanager
    def service_connection(self) -> Iterator[Any]:
        """A connection bound as the service account (``ldap_binddn``; anonymous when empty)."""
        from ldap3.core.exceptions import LDAPOperationResult

        binddn = self.settings.ldap_binddn
        with self._opened(binddn, self.settings.ldap_bindpassword) as connection:
            try:
                with self._reachable():
                    connection.bind()
            except LDAPOperationResult as error:
                raise self.unavailable(f"the LDAP server {self.address} refused the service account "
                                        f"{binddn or '(anonymous)'!r} (ldap_binddn / ldap_bindpassword): "
                                        f"{error.description}") from None
            yield connection

    def password_accepted(self, dn: str, password: str) -> bool:
        """Whether the server lets ``dn`` bind with ``password`` (a connection of its own: the
        service connection stays bound as the service account)."""
        from ldap3.core.exceptions import LDAPInvalidCredentialsResult, LDAPOperationResult

        with self._opened(dn, password) as connection:
            try:
                with self._reachable():
                    connection.bind()
            except LDAPInvalidCredentialsResult:
                return False
            except LDAPOperationResult as error:  # a locked account, a password policy, ...
                log.warning("LDAP: the server %s refused the bind of %s: %s", self.address, dn, error.description)
                return False
        return True

    def search(self, connection: Any, base: str, search_filter: str, attributes: list[str], *,
               setting: str, size_limit: int = 0) -> list[Entry]:
        """The entries under ``base`` (subtree) that match; ``setting`` names the filter's config
        key in errors."""
        from ldap3 import SUBTREE
        from ldap3.core.exceptions import LDAPInvalidFilterError, LDAPNoSuchObjectResult, LDAPOperationResult

        try:
            with self._reachable():
                connection.search(base, search_filter, SUBTREE, attributes=attributes,
                                  size_limit=size_limit)
        except LDAPInvalidFilterError as error:
            raise self.unavailable(f"{setting} gives an invalid LDAP filter {search_filter!r}: {error}") from None
        except LDAPNoSuchObjectResult:
            raise self.unavailable(f"the search base {base!r} does not exist on the LDAP server "
                                    f"{self.address}") from None
        except LDAPOperationResult as error:
            raise self.unavailable(f"the LDAP server {self.address} refused the search under {base!r}: "
                                    f"{error.description}") from None
        return [Entry(dn=item["dn"], attributes=dict(item["attributes"]))
                for item in connection.response or () if item.get("type") == "searchResEntry"]

    @contextmanager
    def _opened(self, user: str, password: str) -> Iterator[Any]:
        """An open connection, upgraded with StartTLS when ``ldap_starttls``; not bound yet."""
        from ldap3 import Connection

        connection = Connection(self._server(), user=user or None, password=password or None,
                                receive_timeout=self.timeout, raise_exceptions=True, read_only=True)
        try:
            with self._reachable():
                connection.open()
                if self.settings.ldap_starttls and not self.address.use_ssl:
                    connection.start_tls()
            yield connection
        finally:
            _close(connection)

    def _server(self) -> Any:
        from ldap3 import NONE, Server

        with self._reachable():  # a CA file that cannot be read
            tls = tls_settings(self.settings.ldap_ca_file)
        return Server(self.address.host, port=self.address.port, use_ssl=self.address.use_ssl, tls=tls,
                      get_info=NONE, connect_timeout=self.timeout)

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """Network and TLS failures become ServiceUnavailable, naming the server."""
        from ldap3.core.exceptions import (
            LDAPCommunicationError,
            LDAPResponseTimeoutError,
            LDAPSSLConfigurationError,
            LDAPStartTLSError,
        )

        try:
            yield
        except LDAPSSLConfigurationError as error:
            raise self.unavailable(f"ldap_ca_file {self.settings.ldap_ca_file!r} cannot be used: {error}") from None
        except LDAPStartTLSError as error:
            raise self.unavailable(f"StartTLS with the LDAP server {self.address} failed"
                                    f"{self._certificate_hint(error)}: {_reason(error)}") from None
        except (LDAPCommunicationError, LDAPResponseTimeoutError, OSError) as error:
            raise self.unavailable(f"cannot reach the LDAP server {self.address} (ldap_server)"
                                    f"{self._certificate_hint(error)}: {_reason(error)}") from None

    def _certificate_hint(self, error: Exception) -> str:
        if "CERTIFICATE_VERIFY_FAILED" not in str(error):
            return ""
        return f"; its TLS certificate does not verify against ldap_ca_file {self.settings.ldap_ca_file!r}"

    def unavailable(self, message: str) -> ServiceUnavailable:
        """The error to raise for ``message``, logged here with the server named in it."""
        log.error("LDAP login: %s", message)
        return ServiceUnavailable(message)


def _close(connection: Any) -> None:
    """Unbind and close; ldap3 leaves the socket open when opening failed or the server went away."""
    from ldap3.core.exceptions import LDAPException

    with suppress(LDAPException, OSError):
        connection.unbind()
    if connection.socket is not None:
        connection.socket.close()


def _reason(error: Exception) -> str:
    """ldap3 wraps some messages in a tuple: ``('wrap socket error: ...',)``."""
    while len(error.args) == 1 and isinstance(error.args[0], tuple) and len(error.args[0]) == 1:
        error = Exception(*error.args[0])
    return str(error.args[0]) if len(error.args) == 1 else str(error)
