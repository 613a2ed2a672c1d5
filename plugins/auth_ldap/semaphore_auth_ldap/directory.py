"""Talking to the LDAP server with ldap3: connections (LDAPS or StartTLS, certificate checks,
timeouts), binds and searches. Every failure leaves as one of the core's errors, with a message
that names the server and the setting involved, and never a password."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from semaphore.errors import ServiceUnavailable

from .address import ServerAddress, parse_server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    dn: str
    attributes: dict[str, Any]


class Directory:
    """The configured LDAP server (``ldap_*`` settings)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.address: ServerAddress = parse_server(config.ldap_server, config.ldap_needtls)
        self.timeout: int | None = config.ldap_timeout or None  # 0: wait as long as it takes

    @contextmanager
    def service_connection(self) -> Iterator[Any]:
        """A connection bound as the service account (``ldap_binddn``; anonymous when empty)."""
        from ldap3.core.exceptions import LDAPOperationResult

        binddn = self.config.ldap_binddn
        with self._opened(binddn, self.config.ldap_bindpassword) as connection:
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
        from ldap3.core.exceptions import LDAPException

        with self._reachable():
            connection = Connection(self._server(), user=user or None, password=password or None,
                                    receive_timeout=self.timeout, raise_exceptions=True, read_only=True)
            connection.open()
            if self.config.ldap_starttls and not self.address.use_ssl:
                connection.start_tls()
        try:
            yield connection
        finally:
            with suppress(LDAPException):  # the server went away: nothing left to close
                connection.unbind()

    def _server(self) -> Any:
        import ssl

        from ldap3 import NONE, Server, Tls

        ca_file = self.config.ldap_ca_file
        # Without ldap_ca_file the certificate is not checked, as in the original Semaphore.
        tls = (Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file) if ca_file
               else Tls(validate=ssl.CERT_NONE))
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
            raise self.unavailable(f"ldap_ca_file {self.config.ldap_ca_file!r} cannot be used: {error}") from None
        except LDAPStartTLSError as error:
            raise self.unavailable(f"StartTLS with the LDAP server {self.address} failed"
                                    f"{self._certificate_hint(error)}: {error}") from None
        except (LDAPCommunicationError, LDAPResponseTimeoutError, OSError) as error:
            raise self.unavailable(f"cannot reach the LDAP server {self.address} (ldap_server)"
                                    f"{self._certificate_hint(error)}: {error}") from None

    def _certificate_hint(self, error: Exception) -> str:
        if "CERTIFICATE_VERIFY_FAILED" not in str(error) and "doesn't match" not in str(error):
            return ""
        return f"; its TLS certificate does not verify against ldap_ca_file {self.config.ldap_ca_file!r}"

    def unavailable(self, message: str) -> ServiceUnavailable:
        """The error to raise for ``message``, logged here with the server named in it."""
        log.error("LDAP login: %s", message)
        return ServiceUnavailable(message)
