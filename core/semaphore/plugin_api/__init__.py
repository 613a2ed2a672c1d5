"""The front door for plugins: the stable surface a plugin may import from the core at run time.

A plugin imports from the core only ``semaphore`` (``hookimpl``, the component base classes and
the values they receive) and the modules of this package, one per kind of help:

- :mod:`semaphore.plugin_api.settings` -- declaring the plugin's own settings (``setting``), which
  the ``register_settings`` hook registers and ``config.plugin_settings(...)`` reads back;
- :mod:`semaphore.plugin_api.alerts` -- alert channels that post JSON to a webhook;
- :mod:`semaphore.plugin_api.errors` -- the errors a plugin raises.

Everything else in ``semaphore`` is the core's own and may change in any release. This module
imports nothing: each module above imports only what its names need (importing a plugin must stay
cheap).
"""
