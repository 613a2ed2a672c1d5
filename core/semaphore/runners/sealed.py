"""A sealed box: what the server sends a runner is readable only with the runner's private key.

A runner makes an X25519 key pair when it registers and gives the server its public key (PEM
SubjectPublicKeyInfo). To seal, the server makes an ephemeral X25519 key, derives a one-time
AES-256-GCM key from the shared secret with HKDF-SHA256 (salted with both public keys) and
encrypts; the associated data (for jobs: the task id) is authenticated but not sent, so a payload
replayed under another task id does not open. A proxy that terminates TLS sees only the box.

Format (version 1)::

    0x01 | ephemeral public key (32 bytes, raw) | nonce (12 bytes) | AES-GCM ciphertext and tag

The private key file is PEM PKCS#8, created 0600. :func:`write_private_key` never replaces an
existing file unless asked (a runner's key is its identity toward the server), and
:func:`read_private_key` refuses a file that others can read, as ssh does with its keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from semaphore.engine.job_spec import JobSpec, JobSpecError
from semaphore.errors import SemaphoreError

__all__ = ["SealedBoxError", "generate_private_key", "open_job", "open_sealed", "private_key_pem",
           "public_key_pem", "read_private_key", "seal", "seal_job", "write_private_key"]

VERSION = b"\x01"
KEY_SIZE = 32  # raw X25519 public key
NONCE_SIZE = 12
TAG_SIZE = 16
HKDF_INFO = b"semaphore sealed box v1"


class SealedBoxError(SemaphoreError):
    """A key that is not an X25519 key, or a box that does not open: wrong key, changed bytes or
    other associated data (which of these is not told, by design)."""


def generate_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def public_key_pem(private_key: X25519PrivateKey) -> str:
    """The public half as PEM SubjectPublicKeyInfo text (what a runner registers with)."""
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_key_pem(private_key: X25519PrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def load_public_key(pem: str | bytes) -> X25519PublicKey:
    """Raises :class:`SealedBoxError` for anything but an X25519 public key in PEM."""
    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except (ValueError, TypeError) as exc:
        raise SealedBoxError("the public key is not a PEM public key") from exc
    if not isinstance(key, X25519PublicKey):
        raise SealedBoxError(f"the public key must be an X25519 key, not {type(key).__name__}")
    return key


def load_private_key(pem: bytes) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SealedBoxError("the private key is not an unencrypted PEM private key") from exc
    if not isinstance(key, X25519PrivateKey):
        raise SealedBoxError(f"the private key must be an X25519 key, not {type(key).__name__}")
    return key


def write_private_key(path: Path, private_key: X25519PrivateKey, *, replace: bool = False) -> None:
    """Writes the key 0600. An existing file is an error unless ``replace``; then the new file
    takes its place at once (a reader never sees half a key)."""
    target = path.with_name(path.name + ".new") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise SealedBoxError(f"{target} already exists: remove it to make a new key") from None
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # O_CREAT's mode passes through the umask
        handle.write(private_key_pem(private_key))
    if replace:
        os.replace(target, path)


def read_private_key(path: Path) -> X25519PrivateKey:
    """The key in ``path``; refused when the group or others may read or write it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SealedBoxError(f"{path} is open to others (mode {mode:04o}): chmod 600 it or make a new key")
    return load_private_key(path.read_bytes())


def seal(public_key: str | bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """``plaintext`` readable only with the private key of ``public_key`` (PEM) and the same
    ``associated_data``."""
    recipient = load_public_key(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = _box_key(ephemeral.exchange(recipient), ephemeral_raw, recipient)
    nonce = os.urandom(NONCE_SIZE)
    return VERSION + ephemeral_raw + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def open_sealed(private_key: X25519PrivateKey, sealed: bytes, associated_data: bytes) -> bytes:
    """The plaintext of a box :func:`seal` made. Raises :class:`SealedBoxError`."""
    if len(sealed) < 1 + KEY_SIZE + NONCE_SIZE + TAG_SIZE:
        raise SealedBoxError("the sealed box is too short")
    if sealed[:1] != VERSION:
        raise SealedBoxError(f"sealed box version {sealed[0]} is not supported")
    ephemeral_raw = sealed[1:1 + KEY_SIZE]
    nonce = sealed[1 + KEY_SIZE:1 + KEY_SIZE + NONCE_SIZE]
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
        key = _box_key(shared, ephemeral_raw, private_key.public_key())
        return AESGCM(key).decrypt(nonce, sealed[1 + KEY_SIZE + NONCE_SIZE:], associated_data)
    except (InvalidTag, ValueError):  # ValueError: an all-zero shared secret from a forged key
        raise SealedBoxError("the sealed box does not open: wrong key, changed bytes or other "
                             "associated data") from None


def seal_job(spec: JobSpec, public_key: str | bytes) -> str:
    """The job as base64 text for the runner with ``public_key``; it opens only for its task id."""
    plaintext = json.dumps(spec.to_json(), separators=(",", ":")).encode()
    return base64.b64encode(seal(public_key, plaintext, _task_data(spec.task.id))).decode("ascii")


def open_job(private_key: X25519PrivateKey, sealed: str, task_id: int) -> JobSpec:
    """The job :func:`seal_job` sealed for task ``task_id``. Raises :class:`SealedBoxError`, or
    :class:`~semaphore.engine.job_spec.JobSpecError` for a payload this side cannot read."""
    try:
        raw = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SealedBoxError("the sealed job is not base64 text") from exc
    plaintext = open_sealed(private_key, raw, _task_data(task_id))
    try:
        data = json.loads(plaintext)
    except ValueError as exc:
        raise JobSpecError("the job payload is not JSON") from exc
    return JobSpec.from_json(data)


def _task_data(task_id: int) -> bytes:
    return f"semaphore task {int(task_id)}".encode()


def _box_key(shared: bytes, ephemeral_raw: bytes, recipient: X25519PublicKey) -> bytes:
    recipient_raw = recipient.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_raw + recipient_raw,
                info=HKDF_INFO).derive(shared)
