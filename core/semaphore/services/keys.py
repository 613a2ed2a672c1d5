"""The key store: credentials encrypted at rest, never returned by the API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session as DbSession

from semaphore.crypto import SecretBox
from semaphore.db.models import AccessKey, Integration, Inventory, Repository, Template, TemplateVault
from semaphore.errors import ValidationError
from semaphore.services.access import ProjectAccess
from semaphore.services.resources import ProjectResource, RefSpec

if TYPE_CHECKING:
    from semaphore.state import AppState

PRIVATE_KEY_MARKERS = ("-----BEGIN ", "PuTTY-User-Key-File")


def secret_payload(data: dict[str, Any]) -> dict[str, str] | None:
    """The JSON stored (encrypted) for a key of the given type; validates what the type needs."""
    key_type = data["type"]
    if key_type == "ssh":
        ssh = data.get("ssh") or {}
        private_key = ssh.get("private_key", "")
        if not private_key.strip():
            raise ValidationError("required for an ssh key", field="ssh.private_key")
        if not private_key.lstrip().startswith(PRIVATE_KEY_MARKERS):
            raise ValidationError("is not a PEM or OpenSSH private key", field="ssh.private_key")
        return {"login": ssh.get("login", ""), "passphrase": ssh.get("passphrase", ""), "private_key": private_key}
    if key_type == "login_password":
        pair = data.get("login_password") or {}
        if not pair.get("password"):
            raise ValidationError("required for a login_password key", field="login_password.password")
        return {"login": pair.get("login", ""), "password": pair["password"]}
    return None


def encrypt_payload(box: SecretBox, payload: dict[str, str] | str | None) -> str | None:
    if payload is None:
        return None
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return box.encrypt(raw.encode())


def decrypt_key(box: SecretBox, key: AccessKey) -> dict[str, Any] | str | None:
    """The secret of a key: a dict for ssh/login_password, a string for environment secrets."""
    if not key.secret:
        return None
    raw = box.decrypt(key.secret).decode()
    return raw if key.type == "string" else json.loads(raw)


class AccessKeys(ProjectResource[AccessKey]):
    model = AccessKey
    object_type = "key"
    label = "Access Key"
    sort_columns = {"name": "name", "type": "type"}
    refs = (
        RefSpec("repositories", Repository.ssh_key_id, Repository.name),
        RefSpec("inventories", Inventory.ssh_key_id, Inventory.name),
        RefSpec("inventories", Inventory.become_key_id, Inventory.name),
        RefSpec("templates", TemplateVault.vault_key_id, Template.name,
                owner_id=Template.id, via=TemplateVault.template_id),
        RefSpec("integrations", Integration.auth_secret_id, Integration.name),
    )

    def query(self, project_id: int) -> Any:
        # Environment secrets are keys too, but they belong to their environment.
        return super().query(project_id).where(AccessKey.environment_id.is_(None))

    def apply(self, db: DbSession, state: AppState, row: AccessKey,
              data: dict[str, Any], access: ProjectAccess) -> None:
        row.name = data["name"]
        if row.id is None or data.get("override_secret"):
            row.type = data["type"]
            row.secret = encrypt_payload(state.secrets, secret_payload(data))


KEYS = AccessKeys()
