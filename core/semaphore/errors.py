"""The one exception family that crosses module boundaries.

Services raise these; the API turns them into the JSON error shape in one place
(``semaphore.api.errors``) and the CLI into one line and a non-zero exit.
"""

from __future__ import annotations

from typing import Any


class SemaphoreError(Exception):
    """Base class. ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra}


class ValidationError(SemaphoreError):
    """Bad input. ``field`` names the offending field when there is one."""

    def __init__(self, message: str, field: str | None = None, **extra: Any) -> None:
        text = f"{field}: {message}" if field else message
        if field:
            extra.setdefault("field", field)
        super().__init__(text, **extra)
        self.field = field


class ConfigError(SemaphoreError):
    """Invalid configuration; the message names the key."""


class Unauthorized(SemaphoreError):
    status = 401


class Forbidden(SemaphoreError):
    status = 403


class NotFound(SemaphoreError):
    status = 404


class Conflict(SemaphoreError):
    status = 409


class InUse(Conflict):
    """A delete refused because other objects still refer to this one."""

    def __init__(self, message: str, refs: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__(message, inUse=True, refs=refs)


class TooManyRequests(SemaphoreError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(SemaphoreError):
    """A service the request needs (an LDAP server, an identity provider) cannot be reached."""

    status = 503


class DecryptionError(SemaphoreError):
    """A stored secret cannot be decrypted with the configured key."""

    status = 500


class PluginError(SemaphoreError):
    """A plugin broke a contract (bad registration, duplicate id, missing component)."""
