"""Log in with OpenID Connect providers (auth backend ``oidc``), configured in ``oidc_providers``.

Registers the redirect backend that lists one login button per provider on ``GET /api/auth/login``
and the routes ``GET /api/auth/oidc/<provider>/login`` and ``/redirect[/<path>]`` (authorization
code flow with state, nonce and PKCE, ID token verification, claim expressions, role mappings).
See docs/oidc.md.

Importing this package must stay cheap: authlib, joserfc and requests are imported inside the
functions that use them, never at module level (the smoke test checks this).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from semaphore import AuthBackend, hookimpl
from semaphore_auth_oidc.backend import OidcBackend
from semaphore_auth_oidc.providers import load_providers
from semaphore_auth_oidc.settings import OidcSettings


@hookimpl
def register_auth_backends(register: Callable[[AuthBackend], None]) -> None:
    register(OidcBackend())


@hookimpl
def register_settings(register: Callable[[type], None]) -> None:
    register(OidcSettings)


@hookimpl
def register_blueprints(app: Flask) -> None:
    from semaphore.plugin_api.web import server_config
    from semaphore_auth_oidc.routes import blueprint

    # Checked here, while the app is built, so a bad provider entry stops the start naming its key.
    load_providers(server_config(app))
    app.register_blueprint(blueprint)
