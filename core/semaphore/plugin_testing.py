"""The front door for a plugin's tests: the helpers the first-party plugins' tests use.

The fixtures (``app``, ``client``, ``admin_client``, ``plugin_app``, ``config``, ``database_env``,
``sqlite_app``, ...) need no import: installing the core registers its pytest plugin,
:mod:`semaphore.testing`. This module gathers the helper functions and classes beside them, from
the places where the core keeps them; it needs pytest, so import it from tests only.
"""

from semaphore.alerts.testing import WebhookRecorder, sample_alert
from semaphore.executor_testing import SubprocessJob, make_run_context, run_spec
from semaphore.testing import (
    TEST_PASSWORD,
    create_app_with_plugins,
    create_user_row,
    imported_top_level_modules,
    listed_app,
    load_installed_plugin,
    log_in,
    make_config,
)

__all__ = [
    "TEST_PASSWORD", "SubprocessJob", "WebhookRecorder", "create_app_with_plugins", "create_user_row",
    "imported_top_level_modules", "listed_app", "load_installed_plugin", "log_in", "make_config", "make_run_context",
    "run_spec", "sample_alert",
]
