"""The ``oidc`` auth backend: a redirect login method with one login-page button per provider."""

from __future__ import annotations

from typing import Any

from semaphore import AuthBackend, LoginButton
from semaphore_auth_oidc.providers import load_providers
from semaphore_auth_oidc.settings import OidcSettings


class OidcBackend(AuthBackend):
    id = "oidc"
    title = "OpenID Connect"
    kind_of_login = "redirect"

    def enabled(self, config: Any) -> bool:
        return bool(config.plugin_settings(OidcSettings).oidc_providers)

    def login_buttons(self, config: Any) -> list[LoginButton]:
        return [LoginButton(id=p.id, name=p.display_name or p.id, color=p.color, icon=p.icon, order=p.order)
                for p in load_providers(config).values()]
