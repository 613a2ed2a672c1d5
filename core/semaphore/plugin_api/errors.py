"""The errors a plugin raises (or catches)."""

from semaphore.errors import ConfigError

__all__ = ["ConfigError"]
