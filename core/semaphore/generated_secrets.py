"""Keys generated on first start when the configuration does not set them.

With the embedded SQLite database a new user should not have to run `semaphore setup` first, so
the missing cookie and encryption keys are generated once and kept (mode 0600) beside the
database. Servers sharing PostgreSQL or MySQL must share keys, so there the keys are required.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from semaphore.config import Config, read_json_object
from semaphore.crypto import generate_key
from semaphore.db.engine import sqlite_path
from semaphore.errors import ConfigError

log = logging.getLogger(__name__)

GENERATED = ("cookie_hash", "access_key_encryption")
FILE_NAME = "generated-secrets.json"


def ensure_secrets(config: Config) -> None:
    missing = [name for name in GENERATED if not getattr(config, name)]
    if not missing:
        return
    if config.db_dialect != "sqlite":
        raise ConfigError(f"{missing[0]}: required with the {config.dialect} dialect "
                          "(run `semaphore setup`, or set SEMAPHORE_" + missing[0].upper() + ")")
    path = _stored_path(config)
    stored = _read_stored(path)
    if any(name not in stored for name in missing):
        for name in missing:
            stored.setdefault(name, generate_key())
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
        log.warning("generated %s and stored them in %s; back this file up with the database",
                    ", ".join(missing), path)
    for name in missing:
        setattr(config, name, stored[name])


def stored_secrets(config: Config) -> dict[str, str]:
    """The keys generated for this SQLite database so far (none for a shared database)."""
    return _read_stored(_stored_path(config)) if config.db_dialect == "sqlite" else {}


def _stored_path(config: Config) -> Path:
    return sqlite_path(config).parent / FILE_NAME


def _read_stored(path: Path) -> dict[str, str]:
    return read_json_object(path, "generated secrets file") if path.exists() else {}
