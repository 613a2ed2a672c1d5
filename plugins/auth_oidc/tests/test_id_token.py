"""ID token verification with tokens the real provider issued: each way a token can be wrong is
refused with a message that says which."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from semaphore_auth_oidc.discovery import provider_endpoints
from semaphore_auth_oidc.id_token import verified_claims
from semaphore_auth_oidc.providers import parse_provider

from semaphore.plugin_api.errors import Unauthorized

CALLBACK = "http://localhost/callback"
NONCE = "nonce-of-this-login"


@pytest.fixture
def issued(issuer, provider_user):
    """An ID token and access token the provider issued to client ``semaphore-test``."""
    provider_user("ivy@example.test", preferred_username="ivy")
    answer = requests.post(f"{issuer}/oauth2/authorize", data={"sub": "ivy@example.test"}, allow_redirects=False,
                           params={"response_type": "code", "client_id": "semaphore-test", "redirect_uri": CALLBACK,
                                   "scope": "openid email profile", "state": "s", "nonce": NONCE}, timeout=10)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(f"{issuer}/oauth2/token", auth=("semaphore-test", "x"), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}).json()
    return token["id_token"], token["access_token"]


def check(issuer, id_token, access_token, nonce=NONCE, **options):
    provider = parse_provider("mock", {"provider_url": issuer, "client_id": "semaphore-test", **options}, "")
    return verified_claims(provider, provider_endpoints(provider), id_token, nonce, access_token)


def test_a_genuine_token_gives_its_claims(issuer, issued):
    claims = check(issuer, *issued)
    assert (claims["sub"], claims["email"], claims["preferred_username"], claims["aud"]) == (
        "ivy@example.test", "ivy@example.test", "ivy", ["semaphore-test"])


def test_altered_payload_fails_the_signature(issuer, issued):
    header, payload, signature = issued[0].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["email"] = "admin@example.test"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(Unauthorized, match="signature does not match the provider's keys"):
        check(issuer, f"{header}.{forged}.{signature}", issued[1])


def test_token_for_another_client(issuer, issued):
    with pytest.raises(Unauthorized, match="issued for another client"):
        check(issuer, *issued, client_id="another-client")


def test_token_of_another_login(issuer, issued):
    with pytest.raises(Unauthorized, match="nonce is not this login's"):
        check(issuer, *issued, nonce="a-different-nonce")


def test_token_of_another_issuer(issuer, issued):
    with pytest.raises(Unauthorized, match="issued by another issuer"):
        check(issuer, *issued, endpoint={"issuer": "https://elsewhere.example"})


def test_algorithm_not_allowed(issuer, issued):
    with pytest.raises(Unauthorized, match="ID token is refused"):
        check(issuer, *issued, endpoint={"algorithms": ["ES256"]})


def test_not_a_token_at_all(issuer, issued):
    with pytest.raises(Unauthorized, match="ID token is refused"):
        check(issuer, "not-a-jwt", issued[1])
