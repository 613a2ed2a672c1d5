"""Log in with an LDAP directory (auth backend ``ldap``), as in the original Semaphore.

When ``ldap_enable`` is on, a password login is first asked of the directory: the service account
(``ldap_binddn``) searches ``ldap_searchdn`` with ``ldap_searchfilter`` (``%s`` = the login,
escaped), the password is checked by binding as the entry found, and the user is created or updated
as an external user from the ``ldap_mappings``; ``ldap_role_mappings`` may grant admin or project
roles by group. See docs/ldap.md.

Importing this package must stay cheap: ldap3 is imported inside the functions that use it, never
at module level (the smoke test checks this).
"""

from __future__ import annotations

from collections.abc import Callable

from semaphore import AuthBackend, hookimpl

from .backend import LdapBackend
from .settings import LdapSettings


@hookimpl
def register_auth_backends(register: Callable[[AuthBackend], None]) -> None:
    register(LdapBackend())


@hookimpl
def register_settings(register: Callable[[type], None]) -> None:
    register(LdapSettings)
