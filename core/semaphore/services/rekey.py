"""Re-encrypt every stored secret from an old key to the configured one (`semaphore vault rekey`).

Key-store keys and environment secrets are both ``access_key`` rows. All rows change in the
caller's one transaction: if any secret cannot be decrypted, the error names it and nothing is
written. A secret that already decrypts with the new key (an earlier, interrupted change of keys)
is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.crypto import SecretBox, parse_key
from semaphore.db.models import AccessKey
from semaphore.errors import DecryptionError, SemaphoreError


@dataclass
class RekeyResult:
    reencrypted: int
    already_current: int


def rekey_secrets(db: DbSession, old_key: str, new_key: str) -> RekeyResult:
    old = SecretBox(parse_key(old_key, "--old-key"))
    new = SecretBox(parse_key(new_key))
    result = RekeyResult(0, 0)
    rows = db.scalars(select(AccessKey).where(AccessKey.secret.is_not(None), AccessKey.secret != "")
                      .order_by(AccessKey.id))
    for key in rows:
        assert key.secret is not None
        try:
            plaintext = old.decrypt(key.secret)
        except DecryptionError:
            if _decrypts(new, key.secret):
                result.already_current += 1
                continue
            raise SemaphoreError(
                f"{_describe(key)} cannot be decrypted with the old key; nothing was changed") from None
        key.secret = new.encrypt(plaintext)
        result.reencrypted += 1
    db.flush()
    return result


def _decrypts(box: SecretBox, stored: str) -> bool:
    try:
        box.decrypt(stored)
    except DecryptionError:
        return False
    return True


def _describe(key: AccessKey) -> str:
    kind = "environment secret" if key.environment_id is not None else "access key"
    where = f"project {key.project_id}" if key.project_id is not None else "no project"
    return f"{kind} {key.name!r} (id {key.id}, {where})"
