"""Webhook request authentication: none, GitHub signature, shared token, HMAC."""

from __future__ import annotations

import hashlib
import hmac

from semaphore import hookimpl
from semaphore.interfaces import IntegrationAuth, WebhookRequest


def _signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class NoAuth(IntegrationAuth):
    auth_method = ""

    def verify(self, request: WebhookRequest, secret: str | None, header: str | None) -> bool:
        return True


class GitHubSignature(IntegrationAuth):
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``."""

    auth_method = "github"
    requires_secret = True

    def verify(self, request: WebhookRequest, secret: str | None, header: str | None) -> bool:
        given = request.header("X-Hub-Signature-256") or ""
        if not secret or not given.startswith("sha256="):
            return False
        return hmac.compare_digest(given[len("sha256="):].lower(), _signature(secret, request.body))


class TokenHeader(IntegrationAuth):
    """The header named by ``auth_header`` must equal the secret."""

    auth_method = "token"
    requires_secret = True
    requires_header = True

    def verify(self, request: WebhookRequest, secret: str | None, header: str | None) -> bool:
        given = request.header(header or "")
        return bool(secret) and given is not None and hmac.compare_digest(given, secret or "")


class HmacHeader(IntegrationAuth):
    """The header named by ``auth_header`` must equal hex HMAC-SHA256(secret, body)."""

    auth_method = "hmac"
    requires_secret = True
    requires_header = True

    def verify(self, request: WebhookRequest, secret: str | None, header: str | None) -> bool:
        given = request.header(header or "")
        if not secret or given is None:
            return False
        return hmac.compare_digest(given.lower(), _signature(secret, request.body))


@hookimpl
def register_integration_auth(register):
    for component in (NoAuth(), GitHubSignature(), TokenHeader(), HmacHeader()):
        register(component)
