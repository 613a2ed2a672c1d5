"""A provider's endpoints: OpenID discovery from ``provider_url``, overridden key by key by
``endpoint.*`` (or only ``endpoint.*`` when there is no ``provider_url``).

Discovery runs at every login rather than being cached: logins are rare, and a provider that
rotates its keys or moves an endpoint is then followed at once.
"""

from __future__ import annotations

from dataclasses import fields, replace

from semaphore.plugin_api.errors import ServiceUnavailable
from semaphore_auth_oidc.provider_http import get_json
from semaphore_auth_oidc.providers import Endpoints, Provider

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_KEYS = {"issuer": "issuer", "auth": "authorization_endpoint", "token": "token_endpoint",
                  "userinfo": "userinfo_endpoint", "jwks": "jwks_uri"}


def provider_endpoints(provider: Provider) -> Endpoints:
    if not provider.provider_url:
        return provider.endpoint
    url = provider.provider_url.rstrip("/") + DISCOVERY_PATH
    document = get_json(provider.id, "discovery document", url)
    discovered = Endpoints(
        **{ours: str(document.get(theirs) or "") for ours, theirs in DISCOVERY_KEYS.items()},
        algorithms=tuple(document.get("id_token_signing_alg_values_supported") or ()),
    )
    configured = {f.name: getattr(provider.endpoint, f.name) for f in fields(Endpoints)
                  if getattr(provider.endpoint, f.name)}
    endpoints = replace(discovered, **configured)
    if not endpoints.auth or not endpoints.token:
        raise ServiceUnavailable(f"OpenID provider {provider.id!r}: the discovery document at {url} names no "
                                 "authorization_endpoint or token_endpoint")
    return endpoints
