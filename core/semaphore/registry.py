"""Typed facades over the hooks: the only module that calls ``pm.hook``.

Components are collected once, when the application is created. Each plugin's discovery hook is
called with its own ``register`` callable, so every component is stamped with the plugin that
registered it and a broken plugin is isolated from the others.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from semaphore.config import Config, SettingsDeclaration
from semaphore.config.fields import top_level_keys
from semaphore.errors import PluginError, ValidationError
from semaphore.interfaces import (
    AuthBackend,
    Component,
    Executor,
    IntegrationAuth,
    IntegrationExtractor,
    IntegrationMatcher,
    Notifier,
)
from semaphore.plugins import Plugins

if TYPE_CHECKING:
    import click
    from flask import Flask

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Component)


class Registry:
    def __init__(self, plugins: Plugins) -> None:
        self._plugins = plugins
        self.executors: dict[str, Executor] = self._collect("register_executors", Executor)
        self.notifiers: dict[str, Notifier] = self._collect("register_notifiers", Notifier)
        self.auth_backends: dict[str, AuthBackend] = self._collect("register_auth_backends", AuthBackend)
        self.integration_matchers: dict[str, IntegrationMatcher] = self._collect(
            "register_integration_matchers", IntegrationMatcher)
        self.integration_extractors: dict[str, IntegrationExtractor] = self._collect(
            "register_integration_extractors", IntegrationExtractor)
        self.integration_auth: dict[str, IntegrationAuth] = self._collect(
            "register_integration_auth", IntegrationAuth)
        self.settings: list[SettingsDeclaration] = settings_declarations(plugins)
        self._drop_failed_plugins()

    # -- lookups that turn "missing" into a clear error ---------------------------------------

    def executor(self, app_id: str, field: str = "app") -> Executor:
        return _lookup(self.executors, app_id, field, "executor")

    def integration_matcher(self, match_type: str) -> IntegrationMatcher:
        return _lookup(self.integration_matchers, match_type, "match_type", "matcher")

    def integration_extractor(self, value_source: str) -> IntegrationExtractor:
        return _lookup(self.integration_extractors, value_source, "value_source", "extractor")

    def integration_auth_method(self, auth_method: str) -> IntegrationAuth:
        return _lookup(self.integration_auth, auth_method, "auth_method", "auth method")

    def password_backends(self, config: Any) -> list[AuthBackend]:
        backends = [b for b in self.auth_backends.values() if b.kind_of_login == "password" and b.enabled(config)]
        return sorted(backends, key=lambda b: (b.order, b.id))

    # -- lifecycle hooks ----------------------------------------------------------------------

    def add_blueprints(self, app: Flask) -> None:
        self._call_each("register_blueprints", self._plugins.fail, app=app)
        self._drop_failed_plugins()

    def add_commands(self, cli: click.Group) -> None:
        self._call_each("register_commands", self._plugins.fail, cli=cli)
        self._drop_failed_plugins()

    def task_status_changed(self, app: Flask, task: Any, old_status: str, new_status: str) -> None:
        self._call_each("task_status_changed", _log_failure, app=app, task=task,
                        old_status=old_status, new_status=new_status)

    # -- machinery ----------------------------------------------------------------------------

    def _collect(self, hook_name: str, base: type[C]) -> dict[str, C]:
        found: dict[str, C] = {}

        def make_register(plugin_name: str) -> Callable[[C], None]:
            def register(component: C) -> None:
                if not isinstance(component, base):
                    raise PluginError(f"{hook_name}: expected a {base.__name__} instance, got {component!r}")
                key = component.key
                if not isinstance(key, str):
                    raise PluginError(f"{hook_name}: {type(component).__name__} has no {base.kind} id")
                if key in found:
                    raise PluginError(f"{base.kind} {key!r} is already registered by plugin {found[key].plugin!r}")
                component.plugin = plugin_name
                found[key] = component
            return register

        for impl in getattr(self._plugins.pm.hook, hook_name).get_hookimpls():
            before = dict(found)
            try:
                impl.function(**_accepted(impl, register=make_register(impl.plugin_name)))
            except Exception as exc:
                found.clear()
                found.update(before)  # nothing of a failing plugin stays registered
                self._plugins.fail(impl.plugin_name, exc)
        return found

    def _drop_failed_plugins(self) -> None:
        """A plugin that failed in any hook is skipped as a whole: forget what its other hooks registered."""
        for components in (self.executors, self.notifiers, self.auth_backends, self.integration_matchers,
                           self.integration_extractors, self.integration_auth):
            for key in [key for key, component in components.items() if not self._plugins.is_loaded(component.plugin)]:
                del components[key]
        self.settings = [declared for declared in self.settings if self._plugins.is_loaded(declared.plugin)]

    def _call_each(self, hook_name: str, on_error: Callable[[str, BaseException], None], **kwargs: Any) -> None:
        """Call implementations one at a time, so one failing never stops the others."""
        for impl in reversed(getattr(self._plugins.pm.hook, hook_name).get_hookimpls()):
            try:
                impl.function(**_accepted(impl, **kwargs))
            except Exception as exc:
                on_error(impl.plugin_name, exc)


def settings_declarations(plugins: Plugins) -> list[SettingsDeclaration]:
    """The settings classes the loaded plugins register (``register_settings``). A plugin whose
    class is no dataclass, or declares a key the core or another plugin declares, fails."""
    found: list[SettingsDeclaration] = []
    owners = dict.fromkeys(top_level_keys(Config), "the core")  # key -> who declares it

    def make_register(plugin_name: str, mine: list[SettingsDeclaration]) -> Callable[[type], None]:
        def register(settings_class: type) -> None:
            if not (isinstance(settings_class, type) and dataclasses.is_dataclass(settings_class)):
                raise PluginError(f"register_settings: expected a dataclass, got {settings_class!r}")
            for key in sorted(top_level_keys(settings_class)):
                if owners.setdefault(key, f"plugin {plugin_name!r}") != f"plugin {plugin_name!r}":
                    raise PluginError(f"setting {key!r} is already declared by {owners[key]}")
            mine.append(SettingsDeclaration(plugin_name, settings_class))
        return register

    for impl in plugins.pm.hook.register_settings.get_hookimpls():
        mine: list[SettingsDeclaration] = []
        before = dict(owners)
        try:
            impl.function(**_accepted(impl, register=make_register(impl.plugin_name, mine)))
        except Exception as exc:
            owners.clear()
            owners.update(before)  # nothing of a failing plugin stays declared
            plugins.fail(impl.plugin_name, exc)
            continue
        found.extend(mine)
    return found


def _log_failure(plugin_name: str, exc: BaseException) -> None:
    log.error("plugin %r failed: %s", plugin_name, exc, exc_info=exc)


def _accepted(impl: Any, **kwargs: Any) -> dict[str, Any]:
    return {name: kwargs[name] for name in impl.argnames}


def _lookup(components: dict[str, C], key: str, field: str, what: str) -> C:
    try:
        return components[key]
    except KeyError:
        available = ", ".join(sorted(repr(k) for k in components)) or "none"
        raise ValidationError(f"no {what} {key!r} is installed (available: {available})", field=field) from None
