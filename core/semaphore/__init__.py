"""Semaphore for Python: what a plugin is made of (``hookimpl``, the component base classes and
the values they receive and return).

With the modules of :mod:`semaphore.plugin_api` this is the core's front door: plugins import
from these only::

    from semaphore import hookimpl, Executor
    from semaphore.plugin_api.errors import ValidationError
"""

from pluggy import HookimplMarker

from semaphore.execution import (
    AppSettings,
    Credentials,
    HostFailure,
    HostResult,
    InventoryFile,
    Job,
    ProcessSpec,
    RunContext,
    TaskDetails,
    TaskFailed,
    TaskStopped,
    TemplateField,
)
from semaphore.interfaces import (
    Alert,
    AuthBackend,
    AuthContext,
    Executor,
    Identity,
    IntegrationAuth,
    IntegrationExtractor,
    IntegrationMatcher,
    LoginButton,
    Notifier,
    WebhookRequest,
)
from semaphore.script_executor import ScriptExecutor
from semaphore.version import __version__

hookimpl = HookimplMarker("semaphore")

__all__ = [
    "AppSettings", "Credentials", "HostFailure", "HostResult", "InventoryFile", "Job", "ProcessSpec", "RunContext",
    "TaskDetails", "TaskFailed", "TaskStopped", "TemplateField",
    "Alert", "AuthBackend", "Executor", "AuthContext", "Identity", "IntegrationAuth", "IntegrationExtractor",
    "IntegrationMatcher", "LoginButton", "Notifier", "ScriptExecutor", "WebhookRequest", "__version__", "hookimpl",
]
