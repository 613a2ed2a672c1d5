"""What the runner tests share: a runner's X25519 public key, a valid registration body, and a
request to a real server made as a runner makes it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def public_key_pem() -> str:
    """A fresh runner key pair's public half, as a runner sends it."""
    return X25519PrivateKey.generate().public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def registration_body(token: str, **fields: Any) -> dict[str, Any]:
    return {"registration_token": token, "name": "", "webhook": "", "max_parallel_tasks": 2,
            "public_key": public_key_pem(), "tags": ["linux"], "apps": ["bash"], "version": "1.0", **fields}


PROTOCOL = "/api/internal/runners"


def runner_call(url: str, method: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    """One request to the runner protocol of the server at ``url``: JSON, and the runner's token in
    X-Runner-Token when it has one; (status, parsed body or None)."""
    request = urllib.request.Request(url + PROTOCOL, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("X-Runner-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None
