"""Verifying an ID token: signature with a key of the provider's JWKS, then issuer, audience
(our client_id), expiry and the nonce this browser's login was started with."""

from __future__ import annotations

from typing import Any

from semaphore.plugin_api.errors import Unauthorized
from semaphore_auth_oidc.provider_http import get_json
from semaphore_auth_oidc.providers import Endpoints, Provider

LEEWAY = 120  # seconds of clock difference tolerated between us and the provider


def verified_claims(provider: Provider, endpoints: Endpoints, id_token: str, nonce: str,
                    access_token: str | None) -> dict[str, Any]:
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    if not endpoints.jwks or not endpoints.issuer:
        missing = "endpoint.jwks" if not endpoints.jwks else "endpoint.issuer"
        raise Unauthorized(f"OpenID provider {provider.id!r} sent an ID token, but it cannot be verified: "
                           f"set oidc_providers.{provider.id}.{missing} (or provider_url)")
    keys = get_json(provider.id, "key set (jwks)", endpoints.jwks)
    refused = f"OpenID provider {provider.id!r}: the ID token is refused"
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(keys),  # type: ignore[arg-type]
                           algorithms=list(endpoints.algorithms) or None)
        claims = CodeIDToken(token.claims, token.header,
                             options={"iss": {"essential": True, "value": endpoints.issuer},
                                      "aud": {"essential": True, "value": provider.client_id},
                                      "nonce": {"essential": True, "value": nonce}},
                             params={"nonce": nonce, "client_id": provider.client_id,
                                     "access_token": access_token})
        claims.validate(leeway=LEEWAY)
    except JoseError as exc:
        raise Unauthorized(f"{refused}: {_reason(exc)}") from None
    except ValueError as exc:  # a token that is not even a JWT, or a key set that is not one
        raise Unauthorized(f"{refused}: {exc}") from None
    return dict(claims)


def _reason(exc: Exception) -> str:
    from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError, MissingClaimError

    if isinstance(exc, BadSignatureError):
        return "its signature does not match the provider's keys"
    if isinstance(exc, ExpiredTokenError):
        return "it has expired"
    if isinstance(exc, InvalidClaimError | MissingClaimError):
        name = getattr(exc, "claim", "") or str(exc)
        meaning = {"iss": "issued by another issuer", "aud": "issued for another client (audience)",
                   "nonce": "its nonce is not this login's (a replayed token)"}.get(name, "")
        return f"claim {name!r} {'is missing' if isinstance(exc, MissingClaimError) else 'is invalid'}" + (
            f": {meaning}" if meaning else "")
    return getattr(exc, "description", "") or type(exc).__name__
