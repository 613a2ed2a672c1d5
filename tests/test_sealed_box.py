"""The sealed box that carries job payloads to a runner: only the runner's private key and the
same associated data open it, and its key files are the owner's alone."""

from __future__ import annotations

import base64
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from semaphore.engine.job_spec import InventorySpec, JobSpec, KeySpec, SourceSpec
from semaphore.execution import AppSettings, TaskDetails
from semaphore.runners.sealed import (
    SealedBoxError,
    generate_private_key,
    open_job,
    open_sealed,
    public_key_pem,
    read_private_key,
    seal,
    seal_job,
    write_private_key,
)

SECRET = b"the ssh key of production: -----BEGIN OPENSSH PRIVATE KEY----- hunter2"
TASK = b"semaphore task 7"


@pytest.fixture(scope="module")
def private_key():
    return generate_private_key()


@pytest.fixture(scope="module")
def public_key(private_key):
    return public_key_pem(private_key)


def test_a_sealed_box_opens_with_its_key_and_hides_the_plaintext(private_key, public_key):
    assert public_key.startswith("-----BEGIN PUBLIC KEY-----")
    sealed = seal(public_key, SECRET, TASK)
    assert open_sealed(private_key, sealed, TASK) == SECRET
    assert SECRET not in sealed and b"hunter2" not in sealed
    assert seal(public_key, SECRET, TASK) != sealed  # a new ephemeral key and nonce every time
    assert open_sealed(private_key, seal(public_key.encode(), b"", b""), b"") == b""


def test_a_wrong_key_or_other_associated_data_does_not_open_it(private_key, public_key):
    sealed = seal(public_key, SECRET, TASK)
    with pytest.raises(SealedBoxError, match="does not open"):
        open_sealed(generate_private_key(), sealed, TASK)
    with pytest.raises(SealedBoxError, match="does not open"):
        open_sealed(private_key, sealed, b"semaphore task 8")


@pytest.mark.parametrize("position", [1, 20, 33, 40, 45, -1])  # ephemeral key, nonce, ciphertext, tag
def test_a_changed_byte_does_not_open_it(private_key, public_key, position):
    sealed = bytearray(seal(public_key, SECRET, TASK))
    sealed[position] ^= 0x01
    with pytest.raises(SealedBoxError, match="does not open"):
        open_sealed(private_key, bytes(sealed), TASK)


def test_a_box_of_another_version_or_too_short_is_refused(private_key, public_key):
    sealed = seal(public_key, SECRET, TASK)
    with pytest.raises(SealedBoxError, match="version 2 is not supported"):
        open_sealed(private_key, b"\x02" + sealed[1:], TASK)
    with pytest.raises(SealedBoxError, match="too short"):
        open_sealed(private_key, sealed[:60], TASK)


def pem(key) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize(("key", "message"), [
    (lambda: pem(ed25519.Ed25519PrivateKey.generate().public_key()), "must be an X25519 key, not Ed25519PublicKey"),
    (lambda: pem(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()),
     "must be an X25519 key, not RSAPublicKey"),
    (lambda: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA user@host", "is not a PEM public key"),
    (lambda: "", "is not a PEM public key"),
])
def test_a_public_key_that_is_not_x25519_pem_is_refused(key, message):
    with pytest.raises(SealedBoxError, match=message):
        seal(key(), SECRET, TASK)


def test_the_private_key_file_is_0600_and_never_silently_replaced(tmp_path, private_key, public_key):
    path = tmp_path / "runner.key"
    write_private_key(path, private_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert open_sealed(read_private_key(path), seal(public_key, SECRET, TASK), TASK) == SECRET
    other = generate_private_key()
    with pytest.raises(SealedBoxError, match="already exists"):
        write_private_key(path, other)
    assert public_key_pem(read_private_key(path)) == public_key
    path.chmod(0o644)
    write_private_key(path, other, replace=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_key_pem(read_private_key(path)) == public_key_pem(other)
    assert [item.name for item in tmp_path.iterdir()] == ["runner.key"]


def test_a_private_key_file_others_can_read_or_another_key_type_is_refused(tmp_path, private_key):
    path = tmp_path / "runner.key"
    write_private_key(path, private_key)
    path.chmod(0o640)
    with pytest.raises(SealedBoxError, match="open to others"):
        read_private_key(path)
    ed25519_path = tmp_path / "ed25519.key"
    ed25519_path.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ed25519_path.chmod(0o600)
    with pytest.raises(SealedBoxError, match="must be an X25519 key"):
        read_private_key(ed25519_path)


def job(task_id: int) -> JobSpec:
    key = KeySpec(id=3, type="ssh", login="deploy", passphrase="pass-phrase", private_key="KEY hunter2\n")
    return JobSpec(
        task=TaskDetails(id=task_id, username="admin", message="", url=None), app_id="ansible",
        template={"id": 1, "name": "Deploy"}, playbook="site.yml",
        source=SourceSpec(repository_id=1, url="git@example.com:ops/app.git", branch="main", commit=None, key=key),
        inventory=InventorySpec(type="static", label="prod", text="[web]\nweb1\n", ssh=key), inventory_source=None,
        extra_vars={"region": "eu"}, secret_vars={"token": "hunter2"}, env_vars={"MODE": "fast"},
        env_secrets={"API_KEY": "api-key"}, secrets=["KEY hunter2\n", "pass-phrase", "hunter2", "api-key"],
        vaults={"default": "vault-password"}, app=AppSettings(path="", args=("-x",)), log_seq=42,
    )


def test_a_sealed_job_opens_for_its_task_only(private_key, public_key):
    spec = job(7)
    sealed = seal_job(spec, public_key)
    raw = base64.b64decode(sealed, validate=True)
    assert b"hunter2" not in raw and b"vault-password" not in raw and "hunter2" not in sealed
    assert open_job(private_key, sealed, 7) == spec
    with pytest.raises(SealedBoxError, match="does not open"):
        open_job(private_key, sealed, 8)  # a job replayed for another task
    with pytest.raises(SealedBoxError, match="not base64"):
        open_job(private_key, "not base64!", 7)
