"""Claims to an :class:`~semaphore.interfaces.Identity`, with the provider's claim expressions and
the original's fallbacks: a random username, the name "Anonymous", and no login without an e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semaphore import Identity
from semaphore.plugin_api.claims import evaluate, random_value
from semaphore.plugin_api.errors import Unauthorized
from semaphore_auth_oidc.providers import Provider

ANONYMOUS = "Anonymous"


def identity_from_claims(provider: Provider, claims: Mapping[str, Any]) -> Identity:
    email = evaluate(provider.email_claim, claims)
    if not email:
        raise Unauthorized(f"OpenID provider {provider.id!r} gave no e-mail address: email_claim "
                           f"{provider.email_claim!r} matched no claim (claims given: "
                           f"{', '.join(sorted(claims)) or 'none'})")
    return Identity(
        username=evaluate(provider.username_claim, claims) or random_value(),
        email=email,
        name=evaluate(provider.name_claim, claims) or ANONYMOUS,
        external=True,
        groups=groups(claims, provider.groups_claim),
        role_mappings=provider.role_mappings or None,  # None: roles are not managed by this provider
    )


def groups(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """The groups claim as a list of names; ``realm_access.roles`` reaches into an object (Keycloak)."""
    value: Any = claims.get(name)
    if value is None and "." in name:
        value = claims
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(item) for item in value if isinstance(item, str | int) and str(item).strip())
