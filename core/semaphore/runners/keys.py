"""The runner's key pair: X25519, made at registration. The server seals job payloads to the
public key (PEM SubjectPublicKeyInfo, sent at registration); only the runner, holding the private
key (PEM PKCS#8, in a 0600 file), can open them."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from semaphore.errors import ConfigError
from semaphore.private_files import write_private_file


def generate_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def public_key_pem(private_key: X25519PrivateKey) -> str:
    """The public half as PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----")."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: str) -> X25519PublicKey:
    """A public key from its PEM; ValueError when the text is no X25519 public key."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, X25519PublicKey):
        raise ValueError("not an X25519 public key")
    return key


def private_key_pem(private_key: X25519PrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def write_private_key(path: Path, private_key: X25519PrivateKey) -> None:
    write_private_file(path, private_key_pem(private_key))


def read_private_key(path: Path) -> X25519PrivateKey:
    """The private key in ``path``; a ConfigError naming the file when it cannot be used."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"runner.private_key_file: cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"runner.private_key_file: {path} holds no readable private key") from exc
    if not isinstance(key, X25519PrivateKey):
        raise ConfigError(f"runner.private_key_file: {path} holds no X25519 private key")
    return key
