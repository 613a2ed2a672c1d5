"""Log in with OpenID Connect providers (auth backend ``oidc``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* a redirect auth backend per entry of ``oidc_providers``, listed by ``GET /api/auth/login`` for the
  login page
* the routes ``GET /api/auth/oidc/<provider>/login`` and ``GET /api/auth/oidc/<provider>/redirect``
  (authorization code flow with state cookie, ID token verification, claim mapping)

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
