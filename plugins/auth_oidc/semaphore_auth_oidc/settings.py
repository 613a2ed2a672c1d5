"""The plugin's setting: ``oidc_providers``, the original's key (config.json only, no variable)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from semaphore.plugin_api.settings import setting


@dataclass
class OidcSettings:
    # Each entry is checked key by key when the application is built (see providers.py).
    oidc_providers: dict[str, Any] = setting({}, None, "OpenID Connect providers by id (see docs/oidc.md).")
