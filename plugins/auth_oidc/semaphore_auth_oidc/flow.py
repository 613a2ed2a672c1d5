"""The authorization code flow with PKCE, as a client: the URL that sends the browser to the
provider, then the code exchange and the claims that say who came back."""

from __future__ import annotations

from typing import Any

from semaphore.plugin_api.errors import ServiceUnavailable, Unauthorized
from semaphore_auth_oidc.id_token import verified_claims
from semaphore_auth_oidc.login_state import LoginState
from semaphore_auth_oidc.provider_http import TIMEOUT, get_json, status_error, unreachable
from semaphore_auth_oidc.providers import Endpoints, Provider


def authorization_url(provider: Provider, endpoints: Endpoints, login: LoginState) -> str:
    session = _oauth_session(provider, login)
    url, _state = session.create_authorization_url(endpoints.auth, state=login.state, nonce=login.nonce,
                                                   code_verifier=login.code_verifier)
    return str(url)


def claims_after_callback(provider: Provider, endpoints: Endpoints, login: LoginState,
                          code: str) -> dict[str, Any]:
    """Exchange ``code`` for tokens and return the user's claims: the verified ID token's, merged
    with the userinfo endpoint's when the provider has one; only userinfo for plain OAuth2
    providers (GitHub) that give no ID token."""
    session = _oauth_session(provider, login)
    token = _exchange_code(provider, endpoints, session, login, code)
    claims: dict[str, Any] = {}
    if token.get("id_token"):
        claims = verified_claims(provider, endpoints, str(token["id_token"]), login.nonce,
                                 token.get("access_token"))
    elif not endpoints.userinfo:
        raise Unauthorized(f"OpenID provider {provider.id!r} gave no ID token and has no userinfo endpoint "
                           f"(oidc_providers.{provider.id}.endpoint.userinfo): nothing says who logged in")
    if endpoints.userinfo:
        userinfo = get_json(provider.id, "userinfo endpoint", endpoints.userinfo, session)
        if "sub" in claims and "sub" in userinfo and str(userinfo["sub"]) != str(claims["sub"]):
            raise Unauthorized(f"OpenID provider {provider.id!r}: the userinfo endpoint describes another "
                               "user than the ID token")
        claims = {**userinfo, **claims}  # the verified ID token wins where both have a claim
    return claims


def _exchange_code(provider: Provider, endpoints: Endpoints, session: Any, login: LoginState,
                   code: str) -> dict[str, Any]:
    import requests
    from authlib.integrations.base_client import OAuthError

    try:
        token = session.fetch_token(endpoints.token, grant_type="authorization_code", code=code,
                                    code_verifier=login.code_verifier, timeout=TIMEOUT)
    except requests.HTTPError as exc:  # an answer that is neither a token nor an OAuth error
        if exc.response is None:
            raise unreachable(provider.id, "token endpoint", endpoints.token, exc) from None
        raise status_error(provider.id, "token endpoint", endpoints.token, exc.response) from None
    except requests.RequestException as exc:
        raise unreachable(provider.id, "token endpoint", endpoints.token, exc) from None
    except OAuthError as exc:
        detail = f"{exc.error}" + (f" -- {exc.description}" if exc.description else "")
        raise Unauthorized(f"OpenID provider {provider.id!r} refused the authorization code ({detail}); "
                           f"start again at /api/auth/oidc/{provider.id}/login") from None
    except ValueError:
        raise ServiceUnavailable(f"OpenID provider {provider.id!r}: its token endpoint ({endpoints.token}) did "
                                 "not answer with JSON") from None
    if not token.get("access_token"):
        raise Unauthorized(f"OpenID provider {provider.id!r}: the token endpoint gave no access token")
    return dict(token)


def _oauth_session(provider: Provider, login: LoginState) -> Any:
    from authlib.integrations.requests_client import OAuth2Session

    # A client without a secret is a public client; PKCE is then what protects the code.
    return OAuth2Session(provider.client_id, provider.client_secret or None, scope=" ".join(provider.scopes),
                         redirect_uri=login.redirect_uri, code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic" if provider.client_secret else "none")
