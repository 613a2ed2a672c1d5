"""The front door for plugins: everything a plugin may import from the core at run time.

A plugin imports from the core only

* ``semaphore`` -- ``hookimpl``, the component base classes (``Executor``, ``ScriptExecutor``,
  ``Notifier``, ``AuthBackend``, the webhook components) and the values they receive and return
  (``RunContext``, ``ProcessSpec``, ``Job``, ``Alert``, ``Identity``, ``TemplateField``, ...);
* the modules of this package, one per kind of help:

  - :mod:`semaphore.plugin_api.errors` -- the errors the API turns into JSON error responses;
  - :mod:`semaphore.plugin_api.settings` -- declaring the plugin's own settings (``setting``),
    registered with ``register_settings`` and read with ``config.plugin_settings(...)``;
  - :mod:`semaphore.plugin_api.executors` -- command-line helpers for executors;
  - :mod:`semaphore.plugin_api.alerts` -- posting an alert as JSON to a webhook (``WebhookNotifier``);
  - :mod:`semaphore.plugin_api.claims` -- claim expressions (user fields from directory entries or
    ID tokens);
  - :mod:`semaphore.plugin_api.identity` -- external users and the roles their groups grant;
  - :mod:`semaphore.plugin_api.web` -- routes: public endpoints, the request's user and database
    session, starting a login session, JSON error responses;

* and, in its tests, :mod:`semaphore.plugin_testing`.

Everything else in ``semaphore`` is the core's own and may change in any release; an import
contract (``[tool.importlinter]`` in pyproject.toml) holds the first-party plugins to this list.

This module imports nothing: each module above imports only what its names need, so a plugin that
uses the alert helpers does not load the web stack (importing a plugin must stay cheap).
"""
