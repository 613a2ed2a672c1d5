"""Log in with an LDAP directory (auth backend ``ldap``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* a password auth backend ``ldap``, tried before the local password: binds with the service account,
  searches the user with ``ldap_searchfilter``, binds as the user, and creates or updates an
  external Semaphore user from the mapped attributes
* configuration as in the original Semaphore: ``ldap_enable``, ``ldap_server``, ``ldap_binddn``,
  ``ldap_bindpassword``, ``ldap_searchdn``, ``ldap_searchfilter``, ``ldap_needtls``,
  ``ldap_mappings`` (and the ``SEMAPHORE_LDAP_*`` variables)

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
