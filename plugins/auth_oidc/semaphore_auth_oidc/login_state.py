"""What a login remembers between leaving for the provider and coming back: state, nonce, PKCE
verifier, the callback URL and where to go afterwards.

It travels in a signed (not readable-by-script, HttpOnly) cookie that lives ten minutes and is
sent only to ``/api/auth/oidc/``, so the server keeps no table of half-finished logins. The
signature uses the server's ``cookie_hash`` with a salt of its own, so a session cookie can never
pass for a login state or the other way round.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from flask import Response, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from semaphore.plugin_api.errors import Unauthorized
from semaphore.plugin_api.web import secure_cookies, server_config

COOKIE_NAME = "oauthstate"  # the original's name for it
COOKIE_PATH = "/api/auth/oidc/"
MAX_AGE = 600  # seconds a user has to log in at the provider


@dataclass(frozen=True)
class LoginState:
    provider: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str  # the callback URL sent to the provider; the code exchange must repeat it
    next_path: str  # where the browser goes after a successful login


def new_login_state(provider_id: str, redirect_uri: str, next_path: str) -> LoginState:
    return LoginState(provider=provider_id, state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                      code_verifier=secrets.token_urlsafe(64), redirect_uri=redirect_uri, next_path=next_path)


def remember(response: Response, login: LoginState) -> None:
    response.set_cookie(COOKIE_NAME, _serializer().dumps(asdict(login)), max_age=MAX_AGE, path=COOKIE_PATH,
                        httponly=True, samesite="Lax", secure=secure_cookies())


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="Lax", secure=secure_cookies())


def recall(provider_id: str, returned_state: str | None) -> LoginState:
    """The login this callback belongs to; 401 when the cookie is missing, forged, too old, for
    another provider, or when the provider returned another state (a forged or replayed callback)."""
    start_again = f"start again at /api/auth/oidc/{provider_id}/login"
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        raise Unauthorized(f"OpenID login: this browser did not start a login (no {COOKIE_NAME} cookie); {start_again}")
    try:
        login = LoginState(**_serializer().loads(raw, max_age=MAX_AGE))
    except SignatureExpired:
        raise Unauthorized(f"OpenID login: the login took longer than {MAX_AGE // 60} minutes; {start_again}") from None
    except (BadSignature, TypeError):
        raise Unauthorized(f"OpenID login: the {COOKIE_NAME} cookie is not valid; {start_again}") from None
    if login.provider != provider_id:
        raise Unauthorized(f"OpenID login: the login was started with provider {login.provider!r}, "
                           f"not {provider_id!r}; {start_again}")
    if not returned_state or not hmac.compare_digest(returned_state, login.state):
        raise Unauthorized(f"OpenID login: the state returned by the provider does not match this browser's "
                           f"login (a forged or replayed callback); {start_again}")
    return login


def safe_next_path(path: str | None) -> str:
    """A path on this site for after the login; anything that could leave the site becomes ``/``
    (no open redirect through ``?redirect=//evil.example``)."""
    path = (path or "").strip()
    if not path or "\\" in path or any(ord(c) < 32 for c in path):
        return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return "/"
    candidate = "/" + path.lstrip("/")
    return candidate if not urlsplit(candidate).netloc else "/"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(base64.b64decode(server_config().cookie_hash), salt="semaphore-oidc-login")
