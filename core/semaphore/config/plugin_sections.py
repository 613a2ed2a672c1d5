"""The settings plugins declare (hook ``register_settings``), kept beside the core's.

A plugin's settings class is a dataclass of :func:`~semaphore.config.fields.setting` fields whose
names are top-level config.json keys. Its object is loaded from the same config.json and
environment as the core's, when the configuration is loaded for the installed plugins and when an
application registers a plugin; a plugin reads it with ``config.plugin_settings(ItsClass)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from semaphore.config.fields import top_level_keys
from semaphore.config.sections import load_section

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class SettingsDeclaration:
    """One settings class and the plugin that registered it."""

    plugin: str
    settings_class: type


class PluginSections:
    """The settings objects of plugins, loaded on first use from the config.json entries that are
    no core keys and from the environment."""

    def __init__(self, data: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> None:
        self._data = dict(data or {})
        self._environ = dict(environ or {})
        self._loaded: dict[type, Any] = {}
        self._plugin_of: dict[type, str] = {}

    def get(self, settings_class: type[T]) -> T:
        """The settings object of ``settings_class``; a bad value raises ConfigError."""
        if settings_class not in self._loaded:
            self._loaded[settings_class] = load_section(settings_class, self._data, self._environ)
        loaded: T = self._loaded[settings_class]
        return loaded

    def load(self, declarations: Iterable[SettingsDeclaration]) -> None:
        """Load every declared settings class now, so a bad value stops the start."""
        for declaration in declarations:
            self._plugin_of.setdefault(declaration.settings_class, declaration.plugin)
            self.get(declaration.settings_class)

    def by_plugin(self) -> Iterator[tuple[str, Any]]:
        """(plugin name, settings object) of every declared class, in the order of the names."""
        for settings_class, plugin in sorted(self._plugin_of.items(), key=lambda item: item[1]):
            yield plugin, self.get(settings_class)

    def unclaimed_keys(self) -> list[str]:
        """The config.json keys no loaded settings class declares."""
        claimed = set().union(*(top_level_keys(cls) for cls in self._loaded))
        return sorted(key for key in self._data if key not in claimed)


def installed_settings(allow: list[str] | None = None, deny: list[str] | None = None) -> list[SettingsDeclaration]:
    """The settings classes of the installed entry-point plugins that load (``allow`` and
    ``deny`` as SEMAPHORE_PLUGINS and SEMAPHORE_DISABLE_PLUGINS). A plugin that fails is left out
    quietly here: the application reports it when it loads its plugins."""
    from semaphore.plugins import Plugins  # the plugin machinery is needed only when loading
    from semaphore.registry import settings_declarations

    plugins = Plugins(quiet=True)
    plugins.load_entry_points(allow=allow, deny=deny)
    return settings_declarations(plugins)
