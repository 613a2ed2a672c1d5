"""Every hook a plugin can implement.

Discovery hooks (``register_*``) receive a ``register`` callable made by the core: call it once
per component class instance. The core validates what arrives, stamps the plugin's name on it and
refuses duplicates, so the order in which plugins load never matters.

Lifecycle hooks are named for the event and receive the Flask ``app`` so a plugin can reach the
configuration (``server_config(app)`` of :mod:`semaphore.plugin_api.web`) and the database.

Hooks only ever change by gaining arguments; an implementation may accept any subset of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pluggy import HookspecMarker

if TYPE_CHECKING:
    from collections.abc import Callable

    import click
    from flask import Flask

    from semaphore.interfaces import (
        AuthBackend,
        Executor,
        IntegrationAuth,
        IntegrationExtractor,
        IntegrationMatcher,
        Notifier,
    )

hookspec = HookspecMarker("semaphore")


@hookspec
def register_executors(register: Callable[[Executor], None]) -> None:
    """Register executors: one :class:`~semaphore.interfaces.Executor` per template app id.

    :param register: call ``register(MyExecutor())``; the executor's ``app_id`` must be unique.
    """


@hookspec
def register_notifiers(register: Callable[[Notifier], None]) -> None:
    """Register alert channels: one :class:`~semaphore.interfaces.Notifier` per ``channel``.

    :param register: call ``register(MyNotifier())``; the notifier's ``channel`` must be unique.
    """


@hookspec
def register_auth_backends(register: Callable[[AuthBackend], None]) -> None:
    """Register login methods (:class:`~semaphore.interfaces.AuthBackend`).

    Password backends are tried in ascending ``order`` on every password login; the built-in
    local-password backend has order 100.

    :param register: call ``register(MyBackend())``; the backend's ``id`` must be unique.
    """


@hookspec
def register_integration_matchers(register: Callable[[IntegrationMatcher], None]) -> None:
    """Register webhook matchers (:class:`~semaphore.interfaces.IntegrationMatcher`), one per
    ``match_type`` (built in: ``header``, ``body``).

    :param register: call ``register(MyMatcher())``.
    """


@hookspec
def register_integration_extractors(register: Callable[[IntegrationExtractor], None]) -> None:
    """Register webhook value extractors (:class:`~semaphore.interfaces.IntegrationExtractor`),
    one per ``value_source`` (built in: ``header``, ``body``).

    :param register: call ``register(MyExtractor())``.
    """


@hookspec
def register_integration_auth(register: Callable[[IntegrationAuth], None]) -> None:
    """Register webhook request authentication (:class:`~semaphore.interfaces.IntegrationAuth`),
    one per ``auth_method`` (built in: ``""`` none, ``github``, ``token``, ``hmac``).

    :param register: call ``register(MyAuth())``.
    """


@hookspec
def register_settings(register: Callable[[type], None]) -> None:
    """Declare the plugin's own settings: ``register(MySettings)`` with a dataclass whose fields
    are declared with :func:`semaphore.plugin_api.settings.setting`, as the core declares its own::

        @dataclass
        class HelloSettings:
            hello_greeting: str = setting("Hello", "SEMAPHORE_HELLO_GREETING", "How the greeting starts.")
            hello_token: str = setting("", "SEMAPHORE_HELLO_TOKEN", "Token of the greeting service.", secret=True)

        @hookimpl
        def register_settings(register):
            register(HelloSettings)

    Each field name is a top-level config.json key (prefix them with the plugin's name; a key the
    core or another plugin declares is refused), ``setting(default, env, help, secret=...,
    choices=..., pattern=...)`` gives its default, its ``SEMAPHORE_*`` variable (also read as
    ``SEMAPHORE_*_FILE``) and its line in docs/configuration.md. Nested dataclasses are nested JSON
    objects. The values are loaded and checked with the core's settings -- a bad one stops the
    start with a message naming the key or the variable; a ``validate(self)`` method may raise
    :class:`semaphore.errors.ConfigError` for more checks -- and secret ones are masked wherever
    the configuration is shown. While the plugin is not installed, its keys in config.json are
    ignored with a warning.

    The plugin reads its settings with ``config.plugin_settings(HelloSettings)``, where ``config``
    is what its components are handed (or ``server_config(app)`` of :mod:`semaphore.plugin_api.web`).

    :param register: call ``register(MySettings)`` with the class (not an instance).
    """


@hookspec
def register_blueprints(app: Flask) -> None:
    """Add HTTP routes: call ``app.register_blueprint(bp)``. Use paths under ``/plugins/<name>/``
    unless a documented path is needed (e.g. an OIDC callback under ``/api/auth/``).

    :param app: the Flask application being created.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``semaphore`` command line: call ``cli.add_command(cmd)``.

    :param cli: the top-level ``semaphore`` click group.
    """


@hookspec
def task_status_changed(app: Flask, task: Any, old_status: str, new_status: str) -> None:
    """Called after a task's status changed and was saved.

    Implementations run one at a time; an exception is logged and never stops the task or the
    other implementations.

    :param app: the Flask application.
    :param task: the task (:class:`semaphore.db.models.Task`), already committed.
    :param old_status: the status before the change.
    :param new_status: the status after the change.
    """
