"""Access keys for one run: decrypted once into :class:`~semaphore.engine.job_spec.KeySpec` data,
every secret value remembered so the log can mask it. :mod:`semaphore.engine.private_files`
writes them as files where the run happens."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session as DbSession

from semaphore.crypto import SecretBox
from semaphore.db.models import AccessKey
from semaphore.engine.job_spec import KeySpec
from semaphore.errors import DecryptionError, SemaphoreError
from semaphore.services.keys import decrypt_key

#: Lines of a multi-line secret shorter than this are not masked on their own: they would mask
#: ordinary words (the whole value is still masked).
MIN_LINE_SECRET = 8


class RunPreparationError(SemaphoreError):
    """The task cannot run as configured. The message names what is wrong (a key's name, a
    variable's name, a path) and never holds a secret value; the engine fails the task with it."""


class SecretValues:
    """Every secret value of a run, for the log's masking."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str | None) -> None:
        if not value:
            return
        self._values.add(value)
        # Output arrives line by line: a printed private key only ever shows one line at a time.
        if "\n" in value:
            for line in value.splitlines():
                line = line.strip()
                if len(line) >= MIN_LINE_SECRET and not line.startswith("-----"):  # PEM armour is no secret
                    self._values.add(line)

    def add_password(self, value: str | None) -> None:
        """A password, also as it appears inside a URL (https://login:p%40ss@host/...)."""
        self.add(value)
        if value:
            self.add(quote(value, safe=""))

    def add_leaves(self, value: Any) -> None:
        """Every string and number inside a JSON value (booleans and null are no secrets)."""
        if isinstance(value, dict):
            for item in value.values():
                self.add_leaves(item)
        elif isinstance(value, list):
            for item in value:
                self.add_leaves(item)
        elif isinstance(value, str):
            self.add(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.add(json.dumps(value))

    def as_list(self) -> list[str]:
        """Longest first, so a masker replacing in order never leaves part of a longer secret."""
        return sorted(self._values, key=lambda value: (-len(value), value))


class RunKeys:
    """Reads and decrypts the access keys a run uses, each once. ``what`` names the key's role in
    error messages ("the key of repository 'app'", ...)."""

    def __init__(self, db: DbSession, box: SecretBox, secrets: SecretValues) -> None:
        self.db = db
        self.box = box  # decrypts the stored keys
        self.secrets = secrets
        self._keys: dict[int, KeySpec | None] = {}

    def key(self, key_id: int | None, what: str) -> KeySpec | None:
        """The key as data; None for no key or a ``none`` key."""
        if key_id is None:
            return None
        if key_id not in self._keys:
            self._keys[key_id] = self._read(key_id, what)
        return self._keys[key_id]

    def password(self, key_id: int | None, what: str) -> str:
        key = self.key(key_id, what)
        if key is None or key.type != "login_password":
            raise RunPreparationError(f"{what} must be a login_password key, not {key.type if key else 'none'!r}")
        return key.password

    def _read(self, key_id: int, what: str) -> KeySpec | None:
        key = self.db.get(AccessKey, key_id)
        if key is None:
            raise RunPreparationError(f"{what} (access key id {key_id}) does not exist")
        if key.type == "none":
            return None
        if key.type not in ("ssh", "login_password"):
            raise RunPreparationError(f"{what} (access key {key.name!r}) has type {key.type!r}: "
                                      "use an ssh or login_password key")
        payload = decrypt_secret(self.box, key, what)
        if not isinstance(payload, dict):
            raise RunPreparationError(f"{what} (access key {key.name!r}) has no stored secret")
        login = str(payload.get("login") or "")
        if key.type == "login_password":
            password = str(payload.get("password") or "")
            self.secrets.add_password(password)
            return KeySpec(id=key.id, type="login_password", login=login, password=password)
        private_key = str(payload.get("private_key") or "")
        passphrase = str(payload.get("passphrase") or "")
        self.secrets.add(private_key)
        self.secrets.add_password(passphrase)
        return KeySpec(id=key.id, type="ssh", login=login, passphrase=passphrase, private_key=private_key)


def decrypt_secret(box: SecretBox, key: AccessKey, what: str) -> dict[str, Any] | str | None:
    try:
        return decrypt_key(box, key)
    except DecryptionError as exc:
        raise RunPreparationError(f"cannot decrypt {what} (access key {key.name!r}): "
                                  "perhaps the encryption key (access_key_encryption) was changed") from exc
    except ValueError as exc:  # not UTF-8 or not the JSON its type stores
        raise RunPreparationError(f"the stored secret of {what} (access key {key.name!r}) is damaged") from exc
