"""``/api/auth/oidc/<provider>/login`` and ``/redirect[/<path>]``, the two ends of a browser login.

A failed login answers with the API's JSON error (401, 403, 404 or 503, never a 500) and always
clears the login-state cookie; no session is started and nothing is written to the database.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from semaphore.plugin_api.errors import SemaphoreError, Unauthorized
from semaphore.plugin_api.identity import user_for_identity
from semaphore.plugin_api.web import error_response, log_in, public, request_db, server_config
from semaphore_auth_oidc import login_state
from semaphore_auth_oidc.discovery import provider_endpoints
from semaphore_auth_oidc.flow import authorization_url, claims_after_callback
from semaphore_auth_oidc.identity import identity_from_claims
from semaphore_auth_oidc.providers import Provider, provider_by_id

log = logging.getLogger(__name__)

blueprint = Blueprint("auth_oidc", __name__, url_prefix="/api/auth/oidc")


@blueprint.get("/<provider_id>/login")
@public
def start_login(provider_id: str) -> Response:
    """Send the browser to the provider; ``?redirect=<path>`` is where it lands after the login."""
    provider = provider_by_id(server_config(), provider_id)
    endpoints = provider_endpoints(provider)
    login = login_state.new_login_state(provider.id, _callback_url(provider),
                                        login_state.safe_next_path(request.args.get("redirect")))
    response = _redirect(authorization_url(provider, endpoints, login))
    login_state.remember(response, login)
    return response


@blueprint.get("/<provider_id>/redirect", defaults={"redirect_path": ""})
@blueprint.get("/<provider_id>/redirect/<path:redirect_path>")
@public
def finish_login(provider_id: str, redirect_path: str) -> Response:
    """The provider's callback: check the state, exchange the code, verify the ID token, start
    the session and go where the login was asked to go."""
    provider = provider_by_id(server_config(), provider_id)
    login = login_state.recall(provider.id, request.args.get("state"))
    if "error" in request.args:
        description = request.args.get("error_description")
        raise Unauthorized(f"OpenID provider {provider.id!r} did not log you in: {request.args['error']}"
                           + (f" -- {description}" if description else ""))
    code = request.args.get("code")
    if not code:
        raise Unauthorized(f"OpenID provider {provider.id!r} sent no authorization code")
    claims = claims_after_callback(provider, provider_endpoints(provider), login, code)
    db = request_db()
    user = user_for_identity(db, identity_from_claims(provider, claims))
    # A redirect_url that ends in a path (the original's style) names the page; else the login's.
    target = login.next_path if login.next_path != "/" else login_state.safe_next_path(redirect_path)
    response = _redirect(target)
    log_in(response, db, user)
    log.info("OpenID login: %s (user %s) through provider %r", user.username, user.id, provider.id)
    return response


@blueprint.after_request
def _forget_login_state(response: Response) -> Response:
    """A login state is good for one callback, successful or not."""
    if request.endpoint == "auth_oidc.finish_login":
        login_state.forget(response)
    return response


@blueprint.errorhandler(SemaphoreError)
def _refused_login(exc: SemaphoreError) -> Response:
    """Every failed login is logged with its reason (a provider that is down as an error) and
    answered in the API's JSON error shape."""
    log.log(logging.ERROR if exc.status >= 500 else logging.WARNING, "OpenID login failed (%s %s): %s",
            exc.status, request.path, exc.message)
    return error_response(exc.status, exc.to_json())


def _callback_url(provider: Provider) -> str:
    """The configured redirect_url, else this server's own callback URL (when web_host is unset)."""
    return provider.redirect_url or f"{request.host_url.rstrip('/')}/api/auth/oidc/{provider.id}/redirect"


def _redirect(location: str) -> Response:
    """307, as the original answers both ends of the login."""
    return Response(status=307, headers={"Location": location})
