"""A job: everything about one run that the database knows, as plain data.

:func:`semaphore.engine.prepare.plan_job` makes a :class:`JobSpec` on the server;
:func:`semaphore.engine.materialise.materialise` turns it into files and a run plan on the machine
that runs it (the server itself, or a remote runner that received it as JSON). A spec holds no
filesystem path and no database row: keys travel as their decrypted text, inventories as their
text or as a path inside a repository.

:meth:`JobSpec.to_json` and :meth:`JobSpec.from_json` carry a ``version``; a reader refuses a
version it does not know rather than guess at fields it would misread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from semaphore.errors import SemaphoreError
from semaphore.execution import AppSettings, TaskDetails

__all__ = ["JOB_SPEC_VERSION", "InventorySpec", "JobSpec", "JobSpecError", "KeySpec", "SourceSpec"]

JOB_SPEC_VERSION = 1


class JobSpecError(SemaphoreError):
    """A job payload that cannot be read: an unknown version or a damaged structure. The message
    names the problem, never a value."""


@dataclass(frozen=True)
class KeySpec:
    """A decrypted access key: ``type`` "ssh" (``private_key`` as stored, ``passphrase``) or
    "login_password" (``password``). ``id`` names its file, so a key used twice is written once."""

    id: int
    type: str
    login: str = ""
    password: str = ""
    passphrase: str = ""
    private_key: str = ""


@dataclass(frozen=True)
class SourceSpec:
    """A repository to check out; ``repository_id`` names its cache."""

    repository_id: int
    url: str
    branch: str  # the effective branch; "" = the remote's default branch
    commit: str | None  # when set, exactly this commit is checked out
    key: KeySpec | None  # None: no key


@dataclass(frozen=True)
class InventorySpec:
    """The run's inventory: ``text`` is a static inventory's content or a workspace's name;
    a file inventory names ``path_in_repository`` (in the inventory's own repository when
    ``in_own_repository``, else in the template's)."""

    type: str
    label: str  # the inventory's name, for messages
    text: str = ""
    path_in_repository: str | None = None
    in_own_repository: bool = False
    ssh: KeySpec | None = None
    become: KeySpec | None = None


@dataclass(frozen=True)
class JobSpec:
    """One run as the database knows it. The :class:`~semaphore.execution.RunContext` fields of
    the same name mean the same; ``env_vars`` and ``env_secrets`` are the environment's ``env``
    JSON and ``env.*`` secrets (the layers of :mod:`semaphore.engine.run_env` that the database
    holds); ``secrets`` lists every secret value for the log's masking, longest first."""

    task: TaskDetails
    app_id: str
    template: dict[str, Any]  # the template's JSON fields, "id" included
    playbook: str
    source: SourceSpec
    inventory: InventorySpec | None
    inventory_source: SourceSpec | None  # a file inventory's own repository, when not the template's
    extra_vars: dict[str, Any]
    secret_vars: dict[str, str]
    env_vars: dict[str, str]
    env_secrets: dict[str, str]
    secrets: list[str]
    template_args: list[str] = field(default_factory=list)
    task_args: list[str] = field(default_factory=list)
    debug: bool = False
    dry_run: bool = False
    diff: bool = False
    limit: str = ""
    vaults: dict[str, str] = field(default_factory=dict)
    vault_scripts: dict[str, str] = field(default_factory=dict)
    app: AppSettings = field(default_factory=AppSettings)
    params: dict[str, Any] = field(default_factory=dict)
    log_seq: int = 0  # the sequence number of the job's first log line

    @property
    def template_id(self) -> int:
        return int(self.template["id"])

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists) with the payload's ``version``."""
        data = asdict(self)
        if self.app.args is not None:
            data["app"]["args"] = list(self.app.args)
        return {"version": JOB_SPEC_VERSION, **data}

    @classmethod
    def from_json(cls, data: Any) -> JobSpec:
        """The spec :meth:`to_json` made. Raises :class:`JobSpecError`."""
        if not isinstance(data, dict):
            raise JobSpecError("a job payload must be a JSON object")
        version = data.get("version")
        if version != JOB_SPEC_VERSION:
            raise JobSpecError(f"job payload version {version!r} is not supported "
                               f"(this side understands version {JOB_SPEC_VERSION})")
        try:
            return _build(cls, {name: value for name, value in data.items() if name != "version"},
                          task=lambda task: _build(TaskDetails, task), source=_source,
                          inventory_source=_optional(_source), inventory=_optional(_inventory), app=_app)
        except (KeyError, TypeError, ValueError) as exc:
            raise JobSpecError(f"the job payload is damaged: {_problem(exc)}") from None


def _source(data: Any) -> SourceSpec:
    return _build(SourceSpec, data, key=_optional(_key))


def _inventory(data: Any) -> InventorySpec:
    return _build(InventorySpec, data, ssh=_optional(_key), become=_optional(_key))


def _key(data: Any) -> KeySpec:
    return _build(KeySpec, data)


def _app(data: Any) -> AppSettings:
    app = _build(AppSettings, data)
    return AppSettings(path=app.path, args=None if app.args is None else tuple(app.args))


def _optional(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda data: None if data is None else build(data)


def _build(kind: Any, data: Any, **nested: Callable[[Any], Any]) -> Any:
    """``kind(**data)`` with the ``nested`` fields built by their builders; refuses names ``kind``
    does not have (a newer writer's field would be lost)."""
    if not isinstance(data, dict):
        raise TypeError(f"{kind.__name__} must be a JSON object")
    unknown = set(data) - {item.name for item in fields(kind)}
    if unknown:
        raise TypeError(f"{kind.__name__} has no field {sorted(unknown)[0]!r}")
    return kind(**{name: nested[name](value) if name in nested else value for name, value in data.items()})


def _problem(exc: Exception) -> str:
    """The exception's message without values: a missing name, or what a constructor said."""
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing"
    return str(exc)
