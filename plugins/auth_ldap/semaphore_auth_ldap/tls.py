"""TLS for the LDAP connection: the certificate checked against ``ldap_ca_file`` (chain and host
name), or not checked at all when no CA file is set, as in the original Semaphore."""

from __future__ import annotations

import ssl
from typing import Any


def tls_settings(ca_file: str) -> Any:
    """An ldap3 ``Tls`` for ``ldap_ca_file``: verifying when it is set, not verifying when empty."""
    from ldap3 import Tls

    if not ca_file:
        return Tls(validate=ssl.CERT_NONE)
    return _verifying_tls_class()(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file)


def _verifying_tls_class() -> type:
    from ldap3 import Tls

    class VerifyingTls(Tls):  # type: ignore[misc]
        """Lets the ssl module check the host name during the handshake. ldap3's own check runs
        after it, with ``ssl.match_hostname`` (deprecated in Python 3.11, gone in 3.12), and
        leaves the TLS socket open when the name does not match."""

        def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
            context = ssl.create_default_context(cafile=self.ca_certs_file)
            # On a failed handshake the ssl module closes the socket it made before raising.
            connection.socket = context.wrap_socket(connection.socket, server_hostname=connection.server.host,
                                                    do_handshake_on_connect=do_handshake)

    return VerifyingTls
