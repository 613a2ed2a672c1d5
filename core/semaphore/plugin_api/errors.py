"""The errors a plugin raises (or catches): the API answers each with its HTTP status and the JSON
error shape ``{"error": "<message>", ...}``, the CLI with one line and a non-zero exit."""

from semaphore.errors import (
    ConfigError,
    Conflict,
    Forbidden,
    NotFound,
    PluginError,
    SemaphoreError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationError,
)

__all__ = [
    "ConfigError", "Conflict", "Forbidden", "NotFound", "PluginError", "SemaphoreError", "ServiceUnavailable",
    "TooManyRequests", "Unauthorized", "ValidationError",
]
