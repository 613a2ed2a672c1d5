"""AES-256-GCM encryption of stored secrets (key store, environment secrets).

The stored form is the original Semaphore's: base64(nonce(12) || ciphertext+tag), so a
database written by either can be read by the other with the same key.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from semaphore.errors import ConfigError, DecryptionError

NONCE_SIZE = 12
DECRYPT_FAILED = "cannot decrypt access key, perhaps encryption key was changed"


def generate_key() -> str:
    """A new random key in the form config.json stores it (base64 of 32 bytes)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def parse_key(encoded: str, setting: str = "access_key_encryption") -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{setting}: not valid base64") from exc
    if len(key) != 32:
        raise ConfigError(f"{setting}: must be base64 of 32 bytes, got {len(key)} bytes")
    return key


class SecretBox:
    """Encrypts and decrypts secret payloads with one key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_config_value(cls, encoded: str) -> SecretBox:
        return cls(parse_key(encoded))

    def encrypt(self, plaintext: bytes) -> str:
        nonce = os.urandom(NONCE_SIZE)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext, None)).decode()

    def decrypt(self, stored: str) -> bytes:
        try:
            raw = base64.b64decode(stored, validate=True)
            return self._aead.decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], None)
        except Exception as exc:  # InvalidTag, bad base64, short input: all mean "wrong key"
            raise DecryptionError(DECRYPT_FAILED) from exc
