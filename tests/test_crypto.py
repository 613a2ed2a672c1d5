"""Encryption of stored secrets: AES-256-GCM in the original Semaphore's stored form."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from semaphore.config import load_config
from semaphore.crypto import DECRYPT_FAILED, SecretBox, generate_key, parse_key
from semaphore.errors import ConfigError, DecryptionError

KEY = generate_key()


def test_round_trip():
    box = SecretBox.from_config_value(KEY)
    for payload in (b"", b"hunter2", '{"login": "root", "password": "p\u00e4ss"}'.encode(), os.urandom(5000)):
        stored = box.encrypt(payload)
        assert payload not in base64.b64decode(stored) or payload == b""
        assert box.decrypt(stored) == payload


def test_each_encryption_uses_a_fresh_nonce():
    box = SecretBox.from_config_value(KEY)
    assert box.encrypt(b"same") != box.encrypt(b"same")


def test_stored_form_is_base64_of_nonce_and_ciphertext():
    """What the original writes (Go: base64.StdEncoding of gcm.Seal(nonce, nonce, plaintext, nil))."""
    key = parse_key(KEY)
    stored = SecretBox(key).encrypt(b"secret payload")
    raw = base64.b64decode(stored, validate=True)
    nonce, sealed = raw[:12], raw[12:]
    assert len(sealed) == len(b"secret payload") + 16  # ciphertext + GCM tag
    assert AESGCM(key).decrypt(nonce, sealed, None) == b"secret payload"

    # and a value sealed the original's way is read back
    nonce = os.urandom(12)
    foreign = base64.b64encode(nonce + AESGCM(key).encrypt(nonce, b'{"login":"deploy"}', None)).decode()
    assert SecretBox(key).decrypt(foreign) == b'{"login":"deploy"}'


@pytest.mark.parametrize("stored", ["wrong key", "garbage", "short"])
def test_wrong_key_or_damaged_value_gives_the_original_message(stored):
    box = SecretBox.from_config_value(KEY)
    value = {"wrong key": SecretBox.from_config_value(generate_key()).encrypt(b"x"),
             "garbage": "not base64 at all!", "short": base64.b64encode(b"abc").decode()}[stored]
    with pytest.raises(DecryptionError) as info:
        box.decrypt(value)
    assert info.value.message == DECRYPT_FAILED == "cannot decrypt access key, perhaps encryption key was changed"


@pytest.mark.parametrize(("value", "expected"), [
    ("not base64!", "not valid base64"),
    (base64.b64encode(b"k" * 16).decode(), "32 bytes, got 16"),
    (base64.b64encode(b"k" * 33).decode(), "32 bytes, got 33"),
])
def test_bad_key_is_a_config_error(value, expected):
    with pytest.raises(ConfigError, match=expected) as info:
        SecretBox.from_config_value(value)
    assert info.value.message.startswith("access_key_encryption:")
    with pytest.raises(ConfigError, match="access_key_encryption"):
        load_config(no_config=True, environ={"SEMAPHORE_ACCESS_KEY_ENCRYPTION": value})


def test_generated_keys_are_valid_and_distinct():
    assert len(parse_key(generate_key())) == 32
    assert generate_key() != generate_key()
