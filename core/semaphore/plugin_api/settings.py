"""Settings of a plugin's own: a dataclass of :func:`setting` fields, each a top-level config.json
key with its ``SEMAPHORE_*`` variable and help, registered with the ``register_settings`` hook and
read back with ``config.plugin_settings(TheClass)`` (docs/writing-plugins.md shows an example)."""

from semaphore.config.fields import setting

__all__ = ["setting"]
