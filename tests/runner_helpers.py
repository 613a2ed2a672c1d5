"""What the runner tests share: a runner's X25519 public key and a valid registration body."""

from __future__ import annotations

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
