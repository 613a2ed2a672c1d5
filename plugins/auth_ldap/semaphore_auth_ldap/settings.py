"""The plugin's settings: the original's ``ldap_*`` keys and ``SEMAPHORE_LDAP_*`` variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from semaphore.plugin_api.settings import setting


@dataclass
class LdapMappings:
    dn: str = setting("dn", "SEMAPHORE_LDAP_MAPPING_DN", "What the user binds as (claim expression); default the entry's DN.")
    mail: str = setting("mail", "SEMAPHORE_LDAP_MAPPING_MAIL", "Attribute (claim expression) holding the e-mail address.")
    uid: str = setting("uid", "SEMAPHORE_LDAP_MAPPING_UID", "Attribute (claim expression) holding the login.")
    cn: str = setting("cn", "SEMAPHORE_LDAP_MAPPING_CN", "Attribute (claim expression) holding the display name.")
    groups: str = setting("memberOf", "SEMAPHORE_LDAP_MAPPING_GROUPS",
                          "Attribute of the user's entry listing its groups' DNs (without a group search).")


@dataclass
class LdapSettings:
    ldap_enable: bool = setting(False, "SEMAPHORE_LDAP_ENABLE", "Log in against LDAP.")
    ldap_binddn: str = setting("", "SEMAPHORE_LDAP_BIND_DN", "Service account DN.")
    ldap_bindpassword: str = setting("", "SEMAPHORE_LDAP_BIND_PASSWORD", "Service account password.", secret=True)
    ldap_server: str = setting("", "SEMAPHORE_LDAP_SERVER", "LDAP server host:port.")
    ldap_searchdn: str = setting("", "SEMAPHORE_LDAP_SEARCH_DN", "Base DN of the user search.")
    ldap_searchfilter: str = setting("", "SEMAPHORE_LDAP_SEARCH_FILTER", "Search filter, '%s' is the login, e.g. (uid=%s).")
    ldap_needtls: bool = setting(False, "SEMAPHORE_LDAP_NEEDTLS", "Connect with TLS (LDAPS).")
    ldap_starttls: bool = setting(False, "SEMAPHORE_LDAP_STARTTLS", "Upgrade the plain connection with StartTLS.")
    ldap_ca_file: str = setting("", "SEMAPHORE_LDAP_CA_FILE",
                                "CA certificates (PEM) the server's TLS certificate must chain to; empty = not verified, as the original.")
    ldap_timeout: int = setting(10, "SEMAPHORE_LDAP_TIMEOUT", "Seconds to wait for the LDAP server to connect and answer.")
    ldap_mappings: LdapMappings = field(default_factory=LdapMappings)
    ldap_group_searchdn: str = setting("", "SEMAPHORE_LDAP_GROUP_SEARCH_DN",
                                       "Base DN of a group search; empty = groups from the user's ldap_mappings.groups attribute.")
    ldap_group_searchfilter: str = setting("(member=%s)", "SEMAPHORE_LDAP_GROUP_SEARCH_FILTER",
                                           "Group search filter, '%s' is the user's DN.")
    ldap_role_mappings: list[dict[str, Any]] = setting([], "SEMAPHORE_LDAP_ROLE_MAPPINGS",
                                                       "Groups that grant admin or project roles (JSON array, see docs/ldap.md).")

    def validate(self) -> None:
        """Bad role mappings stop the start, naming the entry."""
        from semaphore.plugin_api.identity import parse_role_mappings  # imports the models: only here

        parse_role_mappings(self.ldap_role_mappings, "ldap_role_mappings")
