"""The machinery of the role-by-endpoint matrix (tests/test_role_matrix.py).

A :class:`Row` names one route (method + the Flask rule exactly as registered), the permission it
needs, how to build a valid body, and which objects its path needs. :func:`run_matrix` checks every
row against every actor, each check on a project of its own made fresh (directly with the models,
so it is cheap) so that deletes, role changes and "leave project" cannot interfere with each other.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from semaphore import hookimpl
from semaphore.db.models import (
    AccessKey,
    Environment,
    Integration,
    IntegrationAlias,
    IntegrationExtractValue,
    IntegrationMatcher,
    Inventory,
    Node,
    Option,
    Project,
    ProjectUser,
    Repository,
    Runner,
    Schedule,
    Task,
    TaskOutput,
    Template,
    User,
    View,
)
from semaphore.interfaces import Executor
from semaphore.roles import Permission, permissions_of
from semaphore.testing import create_user_row, log_in

ACTORS = ("anonymous", "non_member", "guest", "task_runner", "manager", "owner", "admin", "manager_token")
# Project role of each member actor; the token acts as the manager.
ROLE_OF = {"guest": "guest", "task_runner": "task_runner", "manager": "manager", "owner": "owner",
           "manager_token": "manager"}
# Users that every fresh project has besides the actors: a second owner (so the owner may leave or be
# demoted without being the last one) and a guest to change or remove. "candidate" is never a member.
EXTRA_MEMBERS = {"coowner": "owner", "target": "guest"}
ALLOWED = "allowed"
# Who a route is for: "project" routes by role; outside projects "login" (anyone logged in) or
# "admin" (system admins only; others 403).
ACCESS_LEVELS = ("project", "login", "admin")

Ids = dict[str, int]
Body = Callable[[Ids], Any]
Setup = Callable[[Session, Ids], None]

_PATH_VAR = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Row:
    """One endpoint: ``rule`` is the Flask rule (``/api/project/<int:project_id>/keys/<int:key_id>``)."""

    module: str  # the semaphore.api module that registers it (rows of placeholder modules are skipped)
    method: str
    rule: str
    permission: Permission = Permission.NONE
    body: Body | None = None
    needs: tuple[str, ...] = ()  # objects the body needs beyond the path's own variables
    setup: Setup | None = None  # adjusts the fresh objects (e.g. a task's status) before the call
    expect: dict[str, int] = field(default_factory=dict)  # per-actor exact status, where not "allowed"
    use: dict[str, str] = field(default_factory=dict)  # path variable -> builder, where not the same name
    access: str = "project"  # see ACCESS_LEVELS

    def __post_init__(self) -> None:
        assert self.access in ACCESS_LEVELS, self.access

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.rule

    def path(self, ids: Ids) -> str:
        return _PATH_VAR.sub(lambda m: str(ids[m.group(1)]), self.rule)

    def fixtures(self) -> list[tuple[str, str]]:
        """(id name, builder) for every object to make, path variables first."""
        names = [name for name in _PATH_VAR.findall(self.rule) if name != "project_id"] + list(self.needs)
        return [(name, self.use.get(name, name)) for name in names]


def resource_rows(module: str, prefix: str, id_name: str, body: Body, *, needs: tuple[str, ...] = ()) -> list[Row]:
    """The six routes of api/resource_routes.py: reads for members, writes need MANAGE_RESOURCES."""
    base = f"/api/project/<int:project_id>/{prefix}"
    item = f"{base}/<int:{id_name}>"
    write = Permission.MANAGE_RESOURCES
    return [
        Row(module, "GET", base),
        Row(module, "POST", base, write, body, needs),
        Row(module, "GET", item),
        Row(module, "PUT", item, write, body, needs),
        Row(module, "DELETE", item, write),
        Row(module, "GET", f"{item}/refs"),
    ]


def placeholder_modules(modules: Iterable[str]) -> set[str]:
    """API modules not written yet: their blueprint still has a "-placeholder" prefix."""
    found = set()
    for name in set(modules):
        if importlib.util.find_spec(f"semaphore.api.{name}") is None:
            continue  # a route of a plugin, not of the core API
        blp = importlib.import_module(f"semaphore.api.{name}").blp
        if str(blp.url_prefix or "").endswith("-placeholder"):
            found.add(name)
    return found


class AnsibleStandIn(Executor):
    """Queuing a task needs an executor for the template's app; the matrix never runs the task, so a
    stand-in registered through the real plugin hook is enough (the real one is a separate plugin)."""

    app_id = "ansible"
    title = "Ansible"
    inventory_types = ("static", "static-yaml", "file")


class ExecutorPlugin:
    @hookimpl
    def register_executors(self, register: Callable[[Executor], None]) -> None:
        register(AnsibleStandIn())


# -- fixture objects, made directly with the models ----------------------------------------------

def _add(db: Session, row: Any) -> int:
    db.add(row)
    db.flush()
    return int(row.id)


def _build(db: Session, ids: Ids, name: str, builder: str | None = None) -> int:
    if name not in ids:
        ids[name] = BUILDERS[builder or name](db, ids)
    return ids[name]


def _key(db: Session, ids: Ids) -> int:
    return _add(db, AccessKey(name="none", type="none", project_id=ids["project_id"]))


def _repository(db: Session, ids: Ids) -> int:
    return _add(db, Repository(name="repo", project_id=ids["project_id"], git_url="https://example.test/r.git",
                               git_branch="main", ssh_key_id=_build(db, ids, "key_id")))


def _inventory(db: Session, ids: Ids) -> int:
    return _add(db, Inventory(name="hosts", project_id=ids["project_id"], inventory="localhost", type="static"))


def _environment(db: Session, ids: Ids) -> int:
    return _add(db, Environment(name="env", project_id=ids["project_id"], json="{}", env="{}"))


def _view(db: Session, ids: Ids) -> int:
    return _add(db, View(title="tab", project_id=ids["project_id"], position=1))


def _template(db: Session, ids: Ids) -> int:
    return _add(db, Template(name="deploy", project_id=ids["project_id"], playbook="site.yml",
                             repository_id=_build(db, ids, "repository_id"),
                             inventory_id=_build(db, ids, "inventory_id"),
                             environment_id=_build(db, ids, "environment_id")))


def _schedule(db: Session, ids: Ids) -> int:
    return _add(db, Schedule(name="nightly", project_id=ids["project_id"], cron_format="0 3 * * *",
                             template_id=_build(db, ids, "template_id")))


def _task(db: Session, ids: Ids) -> int:
    """A finished task with one output line."""
    task_id = _add(db, Task(project_id=ids["project_id"], template_id=_build(db, ids, "template_id"),
                            status="success", message=""))
    db.add(TaskOutput(task_id=task_id, seq=1, output="ok"))
    return task_id


def _app(db: Session, ids: Ids) -> Any:
    """An app id with stored settings (an option), so that reading it finds it."""
    db.merge(Option(key="apps.matrix.title", value="Matrix"))
    return "matrix"


def _node(db: Session, ids: Ids) -> Any:
    """Another server process's node row (string ids: ha.node_id or generated)."""
    node_id = f"node-{ids['project_id']}"
    db.add(Node(id=node_id, host="matrix-host", pid=1, version="0"))
    return node_id


def _runner(db: Session, ids: Ids, project: bool = True) -> int:
    """A registered runner: of the fresh project, or global."""
    number = len(ids)
    return _add(db, Runner(name=f"runner-{number}", token=f"{ids['project_id']:032d}{number:032d}",
                           project_id=ids["project_id"] if project else None, webhook=""))


def task_status(db: Session, ids: Ids, status: str) -> None:
    """Put the fixture task in ``status`` (stop needs an unfinished one, confirm a waiting one)."""
    task = db.get(Task, ids["task_id"])
    assert task is not None
    task.status = status


def _other_user(db: Session, ids: Ids) -> int:
    """A user who is none of the actors (to view, change or delete as an admin would)."""
    name = f"other-{ids['project_id']}"
    return _add(db, User(username=name, email=f"{name}@example.test", name="Other", admin=False, password=None))


def _integration(db: Session, ids: Ids) -> int:
    return _add(db, Integration(name="hook", project_id=ids["project_id"], template_id=_build(db, ids, "template_id")))


def _matcher(db: Session, ids: Ids) -> int:
    return _add(db, IntegrationMatcher(integration_id=_build(db, ids, "integration_id"), name="m", match_type="body",
                                       method="equals", body_data_type="json", key="ref", value="main"))


def _value(db: Session, ids: Ids) -> int:
    return _add(db, IntegrationExtractValue(integration_id=_build(db, ids, "integration_id"), name="v",
                                            value_source="body", body_data_type="json", key="ref", variable="ref"))


def _alias(db: Session, ids: Ids) -> int:
    # Aliases are unique across all projects; the id of the fresh project keeps them apart.
    return _add(db, IntegrationAlias(alias=f"alias-{ids['project_id']}-{len(ids)}", project_id=ids["project_id"],
                                     integration_id=_build(db, ids, "integration_id")))


def _project_alias(db: Session, ids: Ids) -> int:
    return _add(db, IntegrationAlias(alias=f"palias-{ids['project_id']}", project_id=ids["project_id"]))


BUILDERS: dict[str, Callable[[Session, Ids], int]] = {
    "key_id": _key, "repository_id": _repository, "inventory_id": _inventory, "environment_id": _environment,
    "view_id": _view, "template_id": _template, "schedule_id": _schedule, "task_id": _task,
    "integration_id": _integration, "matcher_id": _matcher, "value_id": _value, "alias_id": _alias,
    "project_alias_id": _project_alias, "runner_id": _runner,
    "global_runner_id": lambda db, ids: _runner(db, ids, project=False), "other_user_id": _other_user, "app_id": _app,
    "node_id": _node,
    # user_id in member routes: the extra guest member, made with every project
    "user_id": lambda db, ids: ids["target"],
}


# -- the world: users and their logged-in clients, made once per app ------------------------------

class World:
    """Users (one per actor plus the extra members and a candidate) and a client per actor."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.users: Ids = {}
        for name in ("non_member", "guest", "task_runner", "manager", "owner", *EXTRA_MEMBERS, "candidate"):
            self.users[name] = create_user_row(app, name.replace("_", "-"))
        self.users["admin"] = create_user_row(app, "admin", admin=True)
        self.clients: dict[str, Any] = {"anonymous": app.test_client()}
        self.headers: dict[str, dict[str, str]] = {name: {} for name in ACTORS}
        for name in ("non_member", "guest", "task_runner", "manager", "owner", "admin"):
            self.clients[name] = log_in(app.test_client(), name.replace("_", "-"))
        response = self.clients["manager"].post("/api/user/tokens")
        assert response.status_code == 201, response.get_json()
        self.clients["manager_token"] = app.test_client()  # no cookie: only the token speaks
        self.headers["manager_token"] = {"Authorization": f"Bearer {response.get_json()['id']}"}

    def fresh_project(self, fixtures: Iterable[tuple[str, str]], setup: Setup | None) -> Ids:
        """A new project with every member role, plus the objects ``names`` (and what they need)."""
        with self.app.extensions["semaphore"].db.session() as db:
            ids: Ids = {"project_id": _add(db, Project(name="matrix")), **self.users}
            members = {**{actor: role for actor, role in ROLE_OF.items() if actor != "manager_token"},
                       **EXTRA_MEMBERS}
            for actor, role in members.items():
                db.add(ProjectUser(project_id=ids["project_id"], user_id=self.users[actor], role=role))
            for name, builder in fixtures:
                _build(db, ids, name, builder)
            if setup is not None:
                db.flush()
                setup(db, ids)
        return ids

    def call(self, actor: str, row: Row, ids: Ids, body: Any = None) -> tuple[int, str]:
        """The status and, for an error, the API's error message (to make a mismatch readable).
        ``body`` replaces the row's own body."""
        kwargs: dict[str, Any] = {"headers": self.headers[actor]}
        if body is not None or row.body is not None:
            kwargs["json"] = body if body is not None else row.body(ids)  # type: ignore[misc]
        response = self.clients[actor].open(row.path(ids), method=row.method, **kwargs)
        error = ""
        if response.status_code >= 400:
            data = response.get_json(silent=True)
            error = str(data.get("error", "")) if isinstance(data, dict) else response.get_data(as_text=True)[:200]
        return int(response.status_code), error


# -- expectations and the run ----------------------------------------------------------------------

def expected(row: Row, actor: str) -> int | str:
    if actor in row.expect:
        return row.expect[actor]
    if actor == "anonymous":
        return 401
    if actor == "admin":
        return ALLOWED
    if row.access != "project":
        return 403 if row.access == "admin" else ALLOWED
    if actor == "non_member":
        return 404
    needed = row.permission
    return ALLOWED if (permissions_of(ROLE_OF[actor]) & needed) == needed else 403


def matches(want: int | str, got: int) -> bool:
    return 200 <= got < 300 if want == ALLOWED else got == want


@dataclass
class Mismatch:
    row: Row
    actor: str
    want: int | str
    got: int | str
    error: str = ""

    def __str__(self) -> str:
        line = f"{self.row.method:6} {self.row.rule:80} {self.actor:13} expected {self.want}, got {self.got}"
        return f"{line} ({self.error})" if self.error else line


def run_matrix(app: Any, rows: Iterable[Row]) -> tuple[list[Mismatch], int]:
    """Every (row, actor) check; returns the mismatches and the number of checks made."""
    world = World(app)
    rows = list(rows)
    skipped = placeholder_modules(row.module for row in rows)
    failures: list[Mismatch] = []
    checks = 0
    for row in rows:
        if row.module in skipped:
            continue
        got: dict[str, int] = {}
        shared = world.fresh_project(row.fixtures(), row.setup)
        for actor in ACTORS:
            # A call that should be refused, or a read, changes nothing: those share one project (one
            # wrongly let through is reported anyway). Every write that should succeed gets its own.
            wants_write = row.method != "GET" and expected(row, actor) == ALLOWED
            ids = world.fresh_project(row.fixtures(), row.setup) if wants_write else shared
            got[actor], error = world.call(actor, row, ids)
            checks += 1
            want = expected(row, actor)
            if not matches(want, got[actor]):
                failures.append(Mismatch(row, actor, want, got[actor], error))
        if got["manager_token"] != got["manager"]:
            failures.append(Mismatch(row, "manager_token", f"same as manager's session ({got['manager']})",
                                     got["manager_token"]))
    return failures, checks


def run_refusals_with_bad_bodies(app: Any, rows: Iterable[Row]) -> tuple[list[Mismatch], int]:
    """Anonymous callers and non-members must be refused (401, 404) before the body is looked at:
    a 400 about the body would answer a question they may not ask."""
    world = World(app)
    rows = [row for row in rows if row.body is not None and row.access == "project"]
    skipped = placeholder_modules(row.module for row in rows)
    failures: list[Mismatch] = []
    checks = 0
    for row in rows:
        if row.module in skipped:
            continue
        ids = world.fresh_project(row.fixtures(), row.setup)
        for actor in ("anonymous", "non_member"):
            for body in ({}, ["not", "an", "object"]):
                got, error = world.call(actor, row, ids, body)
                checks += 1
                if got != expected(row, actor):
                    failures.append(Mismatch(row, actor, expected(row, actor), got, f"body {body!r}: {error}"))
    return failures, checks


def run_cross_project(app: Any, rows: Iterable[Row]) -> tuple[list[Mismatch], int]:
    """An object of project B reached through project A's URL is 404, even for a caller who may do
    everything in both: first with every object of the path from B, then (for nested paths) with
    only the last one from B. Member routes: a user who is not in the project is 404 likewise."""
    world = World(app)
    rows = [row for row in rows if row.access == "project"]
    skipped = placeholder_modules(row.module for row in rows)
    failures: list[Mismatch] = []
    checks = 0
    for row in rows:
        names = [name for name in _PATH_VAR.findall(row.rule) if name != "project_id"]
        if row.module in skipped or not names:
            continue
        variants = [names] + ([names[-1:]] if len(names) > 1 else [])
        if names == ["user_id"]:
            variants = [[]]  # handled below: the user of the path is simply not a member
        for foreign in variants:
            for actor in ("owner", "admin"):
                ids = world.fresh_project(row.fixtures(), row.setup)
                other = world.fresh_project(row.fixtures(), row.setup)
                mixed = {**ids, **{name: other[name] for name in foreign}}
                if "user_id" in names:
                    mixed["user_id"] = ids["candidate"]
                got, error = world.call(actor, row, mixed)
                checks += 1
                if got != 404:
                    what = ", ".join(foreign) + " of another project" if foreign else "a user who is not a member"
                    failures.append(Mismatch(row, actor, 404, got, f"{what}: {error}"))
    return failures, checks


def report(failures: list[Mismatch]) -> str:
    return f"{len(failures)} mismatches:\n" + "\n".join(str(failure) for failure in failures)
