"""The plugin manager: built-ins first, then entry points in group ``semaphore``, one at a time.

The loader is the error boundary. A plugin that fails to import or implements a hook that does
not exist is logged, listed as failed and skipped; in strict mode (tests, CI) the error is raised.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import importlib_metadata
import pluggy

from semaphore import hookspecs
from semaphore.errors import PluginError

if TYPE_CHECKING:
    from semaphore.config import Config

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "semaphore"

BUILTIN_MODULES = (
    "semaphore.builtin.password_auth",
    "semaphore.builtin.integration_matchers",
    "semaphore.builtin.integration_auth",
    "semaphore.builtin.email_alert",
    "semaphore.builtin.task_alerts",
)


@dataclass
class PluginInfo:
    """What ``semaphore plugins`` and ``GET /api/plugins`` show for one plugin."""

    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    status: str = "loaded"  # loaded | failed | disabled
    error: str | None = None
    hooks: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.distribution, "version": self.version,
                "builtin": self.builtin, "status": self.status, "error": self.error, "hooks": self.hooks}


class Plugins:
    """A pluggy manager plus what happened to each plugin while loading."""

    def __init__(self, *, strict: bool = False, quiet: bool = False) -> None:
        self.pm = pluggy.PluginManager("semaphore")
        self.pm.add_hookspecs(hookspecs)
        self.strict = strict
        #: Report failures at debug level only: for a look at the installed plugins (their
        #: settings) ahead of the load that reports them.
        self.quiet = quiet
        self._infos: dict[str, PluginInfo] = {}

    # -- loading ---------------------------------------------------------------------------

    def register_builtins(self) -> None:
        import importlib

        for module_name in BUILTIN_MODULES:
            self.register(importlib.import_module(module_name), module_name.rsplit(".", 1)[1], builtin=True)

    def register(self, plugin: ModuleType | object, name: str, *, builtin: bool = False,
                 distribution: str | None = None, version: str | None = None) -> None:
        """Register one plugin object under ``name``; unknown hook names are refused."""
        info = PluginInfo(name=name, distribution=distribution, version=version, builtin=builtin)
        if name in self._infos:
            self._refuse_duplicate(info)
            return
        self._infos[name] = info
        try:
            self.pm.register(plugin, name=name)
            self._check_hook_names(name)
        except Exception as exc:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self.fail(name, exc)
            return
        info.hooks = sorted(impl_hook for impl_hook in self._hooks_of(name))

    def load_entry_points(self, allow: list[str] | None = None, deny: list[str] | None = None) -> None:
        allow_set, deny_set = set(allow or ()), set(deny or ())
        for ep in sorted(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            if ep.name in self._infos:  # another distribution (or a built-in) already has this name
                self._refuse_duplicate(PluginInfo(name=ep.name, distribution=dist, version=version))
                continue
            if (allow_set and ep.name not in allow_set) or ep.name in deny_set:
                self._infos[ep.name] = PluginInfo(name=ep.name, distribution=dist, version=version, status="disabled")
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._infos[ep.name] = PluginInfo(name=ep.name, distribution=dist, version=version)
                self.fail(ep.name, exc)
                continue
            self.register(plugin, ep.name, distribution=dist, version=version)
        for name in allow_set - {info.name for info in self._infos.values()}:
            log.log(logging.DEBUG if self.quiet else logging.WARNING,
                    "plugin %r is in SEMAPHORE_PLUGINS but is not installed", name)

    def fail(self, name: str, exc: BaseException) -> None:
        """Mark ``name`` as failed; raise in strict mode."""
        info = self._infos.setdefault(name, PluginInfo(name=name))
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        self._report_failure(info, exc)

    def _refuse_duplicate(self, info: PluginInfo) -> None:
        """Keep the plugin that has the name; list the newcomer as failed under its own entry."""
        first = self._infos[info.name]
        origin = "built in" if first.builtin else f"from {first.distribution or 'an unknown distribution'}"
        self._infos[f"{info.name}#{len(self._infos)}"] = info
        self._report_failure(info, PluginError(f"a plugin named {info.name!r} is already registered ({origin})"))

    def _report_failure(self, info: PluginInfo, exc: BaseException) -> None:
        name = info.name
        info.status = "failed"
        info.error = f"{type(exc).__name__}: {exc}"
        if self.strict:
            raise PluginError(f"plugin {name!r} failed to load: {info.error}") from exc
        log.log(logging.DEBUG if self.quiet else logging.ERROR,
                "plugin %r failed to load and is skipped: %s\n%s", name, info.error,
                "".join(traceback.format_exception(exc)))

    # -- inspection ------------------------------------------------------------------------

    def info(self) -> list[PluginInfo]:
        return sorted(self._infos.values(), key=lambda i: (not i.builtin, i.name))

    def is_loaded(self, name: str) -> bool:
        info = self._infos.get(name)
        return info is not None and info.status == "loaded"

    def _hooks_of(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        return [caller.name for caller in self.pm.get_hookcallers(plugin) or ()]

    def _check_hook_names(self, name: str) -> None:
        for caller in self.pm.get_hookcallers(self.pm.get_plugin(name)) or ():
            if not caller.has_spec():
                raise PluginError(f"implements unknown hook {caller.name!r}")


def build_plugins(config: Config, *, entry_points: bool = True) -> Plugins:
    """The plugins the configuration asks for: built-ins, then the allowed entry points. The
    server and a remote runner build theirs the same way, so both have the same executors."""
    plugins = Plugins(strict=config.plugins_strict)
    plugins.register_builtins()
    if entry_points:
        plugins.load_entry_points(allow=config.plugins, deny=config.disable_plugins)
    return plugins
