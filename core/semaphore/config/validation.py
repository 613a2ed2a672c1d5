"""The core's rules beyond what each setting's declaration says: ranges, keys, paths, zones."""

from __future__ import annotations

import base64
import binascii
import logging
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from semaphore.config.core import DIALECT_ALIASES, Config
from semaphore.config.sections import check_values
from semaphore.crypto import parse_key
from semaphore.errors import ConfigError
from semaphore.passwords import MAX_PASSWORD_BYTES
from semaphore.trusted_proxies import parse_networks

log = logging.getLogger(__name__)


def validate(config: Config) -> None:
    """Raise ConfigError, naming the key, for the first setting of the core that cannot work."""
    check_values(config)
    if not 0 < config.listen_port < 65536:
        raise ConfigError(f"port: {config.port!r} is out of range")
    if config.dialect in DIALECT_ALIASES:
        log.warning("config: dialect %r is read as %r", config.dialect, config.db_dialect)
    if config.db_dialect != "sqlite" and not config.db.host:
        raise ConfigError(f"{config.dialect}.host: required for the {config.dialect} dialect")
    if config.access_key_encryption:
        parse_key(config.access_key_encryption)
    for root in config.local_repository_roots:
        if not os.path.isabs(root):
            raise ConfigError(f"local_repository_roots: {root!r} is not an absolute path")
    parse_networks(config.trusted_proxies)
    if not 1 <= config.password_min_length <= MAX_PASSWORD_BYTES:
        raise ConfigError(f"password_min_length: must be from 1 to {MAX_PASSWORD_BYTES} (bcrypt reads at most "
                          f"{MAX_PASSWORD_BYTES} bytes)")
    try:
        ZoneInfo(config.schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone: {config.schedule.timezone!r} is not a known time zone "
                          "(use an IANA name such as UTC or Europe/Berlin)") from None
    if not 1 <= config.schedule.tick_seconds <= 60:  # slower ticks would run into the missed-fire grace window
        raise ConfigError("schedule.tick_seconds: must be between 1 and 60")
    for name in ("offline_timeout_sec", "task_fail_timeout_sec", "reconcile_interval_sec"):
        if getattr(config.runners, name) < 1:
            raise ConfigError(f"runners.{name}: must be at least 1")
    _validate_nodes(config)
    for name in ("cookie_hash", "cookie_encryption"):
        try:
            base64.b64decode(getattr(config, name), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{name}: not valid base64") from None


def _validate_nodes(config: Config) -> None:
    """Several server processes need a shared database and a bus between them (docs/high-availability.md)."""
    if not 1 <= config.web_workers <= 64:
        raise ConfigError("web_workers: must be from 1 to 64")
    if config.ha.enabled and not config.ha.redis.addr and config.db_dialect != "sqlite":
        raise ConfigError("ha.redis.addr: required when ha.enabled is on (the Redis the server processes share)")
    if config.db_dialect == "sqlite":
        if config.ha.enabled:
            log.warning("config: ha.enabled is ignored: SQLite serves one server process; use PostgreSQL or "
                        "MySQL for several")
        if config.web_workers > 1:
            raise ConfigError("web_workers: SQLite serves one server process; several need PostgreSQL, or MySQL "
                              "with ha.redis")
    elif config.db_dialect == "mysql" and config.web_workers > 1 and not config.ha.enabled:
        raise ConfigError("web_workers: several server processes on MySQL need Redis between them: set ha.enabled "
                          "and ha.redis.addr")
