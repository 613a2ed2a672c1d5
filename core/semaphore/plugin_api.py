"""The stable surface for plugins: what a plugin may import from the core.

Everything else in ``semaphore`` may change between releases; names here change only by growing.

- hooks: :data:`hookimpl` marks a plugin's hook implementations (see :mod:`semaphore.hookspecs`);
- settings: :func:`setting` declares one setting of a plugin's settings dataclass, registered with
  the ``register_settings`` hook and read with ``config.plugin_settings(TheClass)``;
  :class:`ConfigError` is what a settings class's ``validate()`` raises;
- alert channels: :class:`Notifier`, :class:`WebhookNotifier` (one JSON POST per alert) and the
  :class:`Alert` they are handed.
"""

from semaphore import hookimpl
from semaphore.alerts.webhook import WebhookNotifier
from semaphore.config.fields import setting
from semaphore.errors import ConfigError
from semaphore.interfaces import Alert, Notifier

__all__ = ["Alert", "ConfigError", "Notifier", "WebhookNotifier", "hookimpl", "setting"]
