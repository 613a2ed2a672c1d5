"""Base classes of the components plugins register.

A component is a small class; the hook that registers it only hands an instance to the core.
Attributes without a default must be set by the subclass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from semaphore.execution import Job, ProcessSpec, RunContext, TaskFailed, TemplateField

if TYPE_CHECKING:
    from semaphore.role_mapping_config import RoleMapping


class Component:
    """Common to every registered component: the core stamps ``plugin`` on registration."""

    kind: ClassVar[str] = "component"
    plugin: str = ""

    @property
    def key(self) -> str:
        raise NotImplementedError


class Executor(Component):
    """Runs one template app (``ansible``, ``bash``, ...).

    Subclasses set ``app_id`` and ``title`` and override :meth:`validate_template`; the task
    engine calls the execution methods.
    """

    kind = "executor"
    app_id: str
    title: str = ""
    icon: str = ""
    color: str = ""
    #: Inventory types this app accepts; empty means the app takes no inventory.
    inventory_types: tuple[str, ...] = ()
    #: Whether the template's ``playbook`` field (script / sub-directory) is required.
    requires_playbook: bool = True

    @property
    def key(self) -> str:
        return self.app_id

    def version(self) -> str:
        """The tool's version line for ``GET /api/info`` ("" when unknown)."""
        return ""

    #: Template fields this app uses, for forms and docs.
    template_fields: tuple[TemplateField, ...] = ()

    def validate_template(self, template: Mapping[str, Any]) -> None:
        """Raise :class:`semaphore.plugin_api.errors.ValidationError` (naming the field) for a
        template this app cannot run. ``template`` holds the template's JSON fields."""

    def validate_task(self, template: Mapping[str, Any], task: Mapping[str, Any]) -> None:
        """Raise :class:`semaphore.plugin_api.errors.ValidationError` (naming the field, e.g.
        ``params``) for a run request this template does not allow. ``template`` holds the template's JSON fields
        (``task_params`` parsed), ``task`` the request's (``params`` and ``environment`` parsed)."""

    def run(self, job: Job) -> None:
        """Run the task. Return when it succeeded; raise :class:`semaphore.execution.TaskFailed`
        when it failed. The default runs :meth:`command` once and fails on a non-zero exit code;
        apps with several steps (plan, confirm, apply) override this."""
        code = job.run_process(self.command(job.context))
        if code != 0:
            raise TaskFailed(f"{self.title or self.app_id} exited with code {code}")

    def command(self, context: RunContext) -> ProcessSpec:
        """The process that runs the task (used by the default :meth:`run`)."""
        raise NotImplementedError


@dataclass
class Alert:
    """What a notifier is told about a task status change."""

    project_id: int
    project_name: str
    task_id: int
    template_id: int
    template_name: str
    status: str
    author: str
    version: str | None
    url: str
    chat_override: str | None = None
    #: what a notifier keeps between the attempts of one alert (e-mail: the addresses already
    #: mailed); JSON values only, since a later attempt may run in another server process
    extra: dict[str, Any] = field(default_factory=dict)
    #: the task's message (what the user typed when starting it), "" when none
    message: str = ""
    #: e-mail addresses of the project's members and the admins who opted in to alerts
    recipients: list[str] = field(default_factory=list)
    #: the project's values of the settings the receiving notifier declares in ``project_fields``
    #: (those that are no project column, such as ``alert_chat``); each notifier gets its own
    #: channel's, and a setting the project leaves empty is absent
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def result(self) -> str:
        """The status as the original shows it in messages: an emoji, then upper case."""
        return _STATUS_EMOJI.get(self.status, "") + self.status.upper()


# As the original: cross mark, check mark, stop button, warning sign.
_STATUS_EMOJI = {"error": "\u274c", "success": "\u2705", "stopped": "\u23f9\ufe0f",
                 "waiting_confirmation": "\u26a0\ufe0f"}


class Notifier(Component):
    """Sends alerts to one channel (``slack``, ``telegram``, ``email``, ...)."""

    kind = "notifier"
    channel: str
    #: Per-project settings this channel uses, editable on the project's settings page. A ``name``
    #: that is a project column (Telegram: ``alert_chat``) is that field of ``PUT /api/project/{id}``;
    #: any other is kept in the project's ``notifier_settings`` under this channel and reaches the
    #: notifier as ``alert.settings[name]``.
    project_fields: tuple[TemplateField, ...] = ()

    @property
    def key(self) -> str:
        return self.channel

    def enabled(self, config: Any) -> bool:
        """Whether the server configuration turns this channel on."""
        raise NotImplementedError

    def accepts(self, alert: Alert, config: Any) -> bool:
        """Whether this alert is for this channel (e-mail: errors only; Telegram: a chat is known)."""
        return True

    def send(self, alert: Alert, config: Any) -> None:
        """Send one alert; raise on failure (the core logs it and tries again: soon, then later)."""
        raise NotImplementedError


@dataclass
class Identity:
    """Who a login method says the user is. ``external`` identities (LDAP, OIDC) are matched to
    or created as external users; a local identity names an existing local user.

    ``role_mappings`` (from :func:`semaphore.plugin_api.identity.parse_role_mappings`), when
    not None, decide on every login which admin flag and project roles the user's ``groups``
    grant; None leaves them as they are.
    """

    username: str
    email: str
    name: str
    external: bool = True
    groups: tuple[str, ...] = ()
    role_mappings: tuple[RoleMapping, ...] | None = None


@dataclass
class LoginButton:
    """One button of the login page for a redirect login method (an OpenID Connect provider):
    ``id`` names the provider in ``/api/auth/oidc/{id}/login``."""

    id: str
    name: str
    color: str = ""
    icon: str = ""
    order: int = 0


@dataclass
class AuthContext:
    """What a login method may use: the configuration and the database session."""

    config: Any
    db: Any


class AuthBackend(Component):
    """A login method.

    ``kind_of_login`` is ``"password"`` for backends that check a login and password (LDAP, the
    local database) or ``"redirect"`` for browser-redirect providers (OIDC).
    """

    kind = "auth backend"
    id: str
    title: str = ""
    kind_of_login: str = "password"
    order: int = 500

    @property
    def key(self) -> str:
        return self.id

    def enabled(self, config: Any) -> bool:
        return True

    def authenticate(self, login: str, password: str, context: AuthContext) -> Identity | None:
        """Check a password login. Return the identity, or None when this backend does not know
        the login (the next backend is tried). Raise
        :class:`semaphore.plugin_api.errors.Unauthorized` when it knows the login and the password
        is wrong, and :class:`semaphore.plugin_api.errors.ServiceUnavailable` when the service it
        asks cannot be reached."""
        raise NotImplementedError

    def login_buttons(self, config: Any) -> list[LoginButton]:
        """The login page's buttons for a redirect login method, one per provider; by default
        one button named after the backend."""
        if self.kind_of_login != "redirect":
            return []
        return [LoginButton(id=self.id, name=self.title or self.id, order=self.order)]


#: What a matcher's ``value`` or an extractor's ``extract`` returns for a value the request does
#: not have (a missing header or JSON path, a body that is not JSON): it matches nothing and sets
#: no variable. ``None`` is JSON ``null``, a value like any other.
MISSING: Any = object()


@dataclass
class WebhookRequest:
    """An inbound webhook request as matchers, extractors and auth see it."""

    method: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class IntegrationMatcher(Component):
    """Decides whether a webhook request fits one matcher row (``match_type``)."""

    kind = "integration matcher"
    match_type: str

    @property
    def key(self) -> str:
        return self.match_type

    def value(self, request: WebhookRequest, key: str, body_data_type: str) -> Any:
        """The request's value to compare against the matcher's ``value`` (compared as text);
        :data:`MISSING` when the request has none."""
        raise NotImplementedError


class IntegrationExtractor(Component):
    """Pulls one variable out of a webhook request (``value_source``)."""

    kind = "integration extractor"
    value_source: str

    @property
    def key(self) -> str:
        return self.value_source

    def extract(self, request: WebhookRequest, key: str, body_data_type: str) -> Any:
        """The value of the task's extra variable (any JSON value); :data:`MISSING` leaves it unset."""
        raise NotImplementedError


class IntegrationAuth(Component):
    """Authenticates a webhook request (``auth_method``)."""

    kind = "integration auth"
    auth_method: str
    #: Whether the integration needs ``auth_secret_id`` (a login_password key; its password is the secret).
    requires_secret: bool = False
    #: Whether the integration needs ``auth_header`` (the request header that carries the token or signature).
    requires_header: bool = False

    @property
    def key(self) -> str:
        return self.auth_method

    def verify(self, request: WebhookRequest, secret: str | None, header: str | None) -> bool:
        raise NotImplementedError
