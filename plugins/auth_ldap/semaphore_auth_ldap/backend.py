"""The ``ldap`` password backend: find the login in the directory, check the password with a bind
as the user's entry, and describe the user from the entry's attributes."""

from __future__ import annotations

import logging
from typing import Any

from semaphore import AuthBackend, AuthContext, Identity
from semaphore.plugin_api.errors import Forbidden, ServiceUnavailable, Unauthorized
from semaphore.plugin_api.identity import is_local_account, parse_role_mappings

from .directory import Directory, Entry
from .groups import user_groups
from .mapping import Attributes, referenced_attributes, user_fields
from .settings import LdapSettings

log = logging.getLogger(__name__)

DEFAULT_SEARCH_FILTER = "(uid=%s)"
INVALID = "invalid login or password"


class LdapBackend(AuthBackend):
    id = "ldap"
    title = "LDAP"
    order = 50  # before the local password (100): the directory decides for the logins it knows

    def enabled(self, config: Any) -> bool:
        return bool(config.plugin_settings(LdapSettings).ldap_enable)

    def authenticate(self, login: str, password: str, context: AuthContext) -> Identity | None:
        if not password:
            return None  # an empty password is an anonymous bind, which servers let through
        try:
            return self._ask_directory(login, password, context.config.plugin_settings(LdapSettings))
        except ServiceUnavailable:
            if not is_local_account(context.db, login):
                raise
            # The directory could never log this login in (a local account is not taken over), so
            # an outage must not lock out local accounts such as the first admin.
            log.warning("LDAP login: the directory cannot be asked; %r is a local account, its local "
                        "password decides", login)
            return None

    def _ask_directory(self, login: str, password: str, settings: LdapSettings) -> Identity | None:
        directory = Directory(settings)
        with directory.service_connection() as connection:
            entry = find_user(directory, connection, settings, login)
            if entry is None:
                return None  # not in the directory: the local password is tried next
            attributes = Attributes(entry.dn, entry.attributes)
            bind_dn = _bind_dn(settings, attributes)
            if not directory.password_accepted(bind_dn, password):
                log.info("LDAP login: wrong password for %s", bind_dn)
                raise Unauthorized(INVALID)
            fields = user_fields(settings.ldap_mappings, attributes)
            groups: tuple[str, ...] = ()
            role_mappings = None
            if settings.ldap_role_mappings:
                role_mappings = parse_role_mappings(settings.ldap_role_mappings, "ldap_role_mappings")
                groups = user_groups(directory, connection, entry, settings)
        # Not "logged in": the core may still refuse (a local account with this login, TOTP, ...).
        log.info("LDAP login: the directory accepted the password of %s; it stands for user %r",
                 entry.dn, fields.username)
        return Identity(username=fields.username, email=fields.email, name=fields.name, external=True,
                        groups=groups, role_mappings=role_mappings)


def find_user(directory: Directory, connection: Any, settings: LdapSettings, login: str) -> Entry | None:
    """The one entry ``ldap_searchfilter`` finds for ``login`` (escaped: a login cannot change the
    filter), None when there is none; Forbidden when there are several."""
    from ldap3.utils.conv import escape_filter_chars

    template = settings.ldap_searchfilter.strip() or DEFAULT_SEARCH_FILTER
    if "%s" not in template:
        raise directory.unavailable(f"ldap_searchfilter {template!r} has no %s for the login")
    search_filter = template.replace("%s", escape_filter_chars(login))
    found = directory.search(connection, settings.ldap_searchdn, search_filter, _wanted_attributes(settings),
                             setting="ldap_searchfilter", size_limit=2)
    if len(found) > 1:
        log.error("LDAP login: ldap_searchfilter %r finds more than one entry for the login %r (%s, ...); "
                  "it must find at most one", template, login, found[0].dn)
        raise Forbidden("this login matches more than one directory entry; an administrator must make "
                        "ldap_searchfilter find exactly one", code="LDAP_AMBIGUOUS")
    return found[0] if found else None


def _wanted_attributes(settings: LdapSettings) -> list[str]:
    mappings = settings.ldap_mappings
    names = referenced_attributes([mappings.dn, mappings.uid, mappings.mail, mappings.cn])
    if settings.ldap_role_mappings and not settings.ldap_group_searchdn and mappings.groups not in names:
        names.append(mappings.groups)
    return names


def _bind_dn(settings: LdapSettings, attributes: Attributes) -> str:
    """What the user binds as: ``ldap_mappings.dn`` over the entry, by default its DN."""
    from semaphore.plugin_api.claims import evaluate

    return evaluate(settings.ldap_mappings.dn, attributes) or str(attributes["dn"])
