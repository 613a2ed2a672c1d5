"""The groups a directory user belongs to, for ``ldap_role_mappings``: each group by its DN and
by its ``cn``, so that a mapping may name either."""

from __future__ import annotations

import re
from typing import Any

from .directory import Directory, Entry
from .mapping import Attributes
from .settings import LdapSettings

# A DN's special characters escaped as in RFC 4514: "\," or "\2C".
DN_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2}|.)")


def user_groups(directory: Directory, connection: Any, user: Entry, settings: LdapSettings) -> tuple[str, ...]:
    """From a group search when ``ldap_group_searchdn`` is set (``%s`` in the filter is the user's
    DN), else from the user's ``ldap_mappings.groups`` attribute (``memberOf``)."""
    if settings.ldap_group_searchdn:
        from ldap3.utils.conv import escape_filter_chars

        search_filter = settings.ldap_group_searchfilter.replace("%s", escape_filter_chars(user.dn))
        found = directory.search(connection, settings.ldap_group_searchdn, search_filter, ["cn"],
                                 setting="ldap_group_searchfilter")
        return _names((group.dn, _values(Attributes(group.dn, group.attributes).get("cn"))) for group in found)
    dns = _values(Attributes(user.dn, user.attributes).get(settings.ldap_mappings.groups))
    return _names((dn, [cn] if (cn := common_name(dn)) else []) for dn in dns)


def common_name(dn: str) -> str | None:
    """The ``cn`` a group's DN starts with (``cn=admins,ou=groups,...`` -> ``admins``)."""
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

    try:
        attribute, value, _ = parse_dn(dn)[0]
    except (LDAPInvalidDnError, IndexError):
        return None
    if attribute.lower() != "cn":
        return None
    return _unescape(value)


def _unescape(value: str) -> str:
    """``Smith\\, John`` -> ``Smith, John``; hex escapes are UTF-8 bytes (``\\C3\\A9`` -> ``é``)."""
    raw = bytearray()
    for index, part in enumerate(DN_ESCAPE.split(value)):
        raw += bytes.fromhex(part) if index % 2 and len(part) == 2 else part.encode()
    return raw.decode(errors="replace")


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [item.decode(errors="replace") if isinstance(item, bytes) else str(item) for item in items]


def _names(groups: Any) -> tuple[str, ...]:
    names: list[str] = []
    for dn, cns in groups:
        names += [name for name in (dn, *cns) if name and name not in names]
    return tuple(names)
