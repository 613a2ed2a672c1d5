"""Who may do what: every project route against every kind of caller, on every database.

Callers: anonymous, a logged-in non-member, the four project roles, a system admin who is not a
member, and a manager's API token (which must behave exactly like the manager's session). Expected:
anonymous 401; non-member 404; reads allowed for every member; writes allowed with the permission the
route needs, 403 without it; admins allowed everywhere. "Allowed" means a 2xx: every row sends a
valid body, so a permission bug cannot hide behind a validation error. Routes outside projects are
either for every logged-in user or for admins only.

The coverage tests fail when a route is registered without a row here (or a skip entry saying why),
so a new endpoint cannot escape the matrix. Rows of API modules that are still placeholders are
skipped until the module lands.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Blueprint
from matrix_support import (
    ExecutorPlugin,
    Row,
    World,
    placeholder_modules,
    report,
    resource_rows,
    run_cross_project,
    run_matrix,
    run_refusals_with_bad_bodies,
    task_status,
)

from semaphore import hookimpl
from semaphore.api.access import project_endpoint
from semaphore.roles import Permission
from semaphore.testing import create_app_with_plugins

P = "/api/project/<int:project_id>"
RUN, UPDATE, MANAGE, USERS = (Permission.RUN_TASKS, Permission.UPDATE_PROJECT, Permission.MANAGE_RESOURCES,
                              Permission.MANAGE_USERS)


@dataclass(frozen=True)
class QueryRow(Row):
    """A GET whose query string is needed to answer at all (a search's text)."""

    query: str = ""

    def path(self, ids: dict[str, int]) -> str:
        return f"{super().path(ids)}?{self.query}"


ROWS: list[Row] = [
    # projects
    Row("projects", "GET", P),
    Row("projects", "PUT", P, UPDATE, lambda ids: {"name": "Renamed", "max_parallel_tasks": 2}),
    Row("projects", "DELETE", P, UPDATE),
    Row("projects", "GET", f"{P}/role"),
    Row("projects", "GET", f"{P}/backup"),
    # Any member may leave (a second owner exists, so the owner is not the last); an admin who is
    # not a member has nothing to leave.
    Row("projects", "DELETE", f"{P}/me", expect={"admin": 404}),  # an admin who is not a member has nothing to leave
    # members
    Row("members", "GET", f"{P}/users"),
    Row("members", "POST", f"{P}/users", USERS, lambda ids: {"user_id": ids["candidate"], "role": "guest"}),
    Row("members", "GET", f"{P}/users/<int:user_id>"),
    Row("members", "PUT", f"{P}/users/<int:user_id>", USERS, lambda ids: {"role": "task_runner"}),
    Row("members", "DELETE", f"{P}/users/<int:user_id>", USERS),
    # keys
    *resource_rows("keys", "keys", "key_id", lambda ids: {"name": "deploy", "type": "login_password",
                                                          "login_password": {"login": "u", "password": "p"},
                                                          "override_secret": True}),
    # repositories, inventories, environments
    *resource_rows("repositories", "repositories", "repository_id", lambda ids: {
        "name": "app", "git_url": "https://example.test/app.git", "git_branch": "main", "ssh_key_id": ids["key_id"]},
        needs=("key_id",)),
    *resource_rows("inventories", "inventory", "inventory_id", lambda ids: {
        "name": "hosts", "type": "static", "inventory": "[web]\nlocalhost"}),
    *resource_rows("environments", "environment", "environment_id", lambda ids: {
        "name": "prod", "json": '{"a": 1}', "env": '{"B": "2"}'}),
    # views
    *resource_rows("views", "views", "view_id", lambda ids: {"title": "Deploys"}),
    Row("views", "POST", f"{P}/views/positions", MANAGE, lambda ids: {str(ids["view_id"]): 5}, ("view_id",)),
    Row("views", "GET", f"{P}/views/<int:view_id>/templates", needs=("template_id",)),
    # templates
    *resource_rows("templates", "templates", "template_id", lambda ids: {
        "name": "Deploy", "app": "ansible", "playbook": "site.yml", "repository_id": ids["repository_id"],
        "inventory_id": ids["inventory_id"], "environment_id": ids["environment_id"]},
        needs=("repository_id", "inventory_id", "environment_id")),
    Row("templates", "GET", f"{P}/templates/<int:template_id>/tasks", needs=("task_id",)),
    Row("templates", "GET", f"{P}/templates/<int:template_id>/tasks/last", needs=("task_id",)),
    Row("templates", "GET", f"{P}/templates/<int:template_id>/schedules", needs=("schedule_id",)),
    # schedules
    *resource_rows("schedules", "schedules", "schedule_id", lambda ids: {
        "name": "Nightly", "template_id": ids["template_id"], "cron_format": "30 2 * * *"}, needs=("template_id",)),
    Row("schedules", "POST", f"{P}/schedules/validate", MANAGE, lambda ids: {"cron_format": "*/5 * * * *"}),
    Row("schedules", "PUT", f"{P}/schedules/<int:schedule_id>/active", MANAGE, lambda ids: {"active": False}),
    # tasks: running them needs RUN_TASKS, deleting one (and its output) MANAGE_RESOURCES
    Row("tasks", "GET", f"{P}/tasks", needs=("task_id",)),
    Row("tasks", "GET", f"{P}/tasks/last", needs=("task_id",)),
    Row("tasks", "POST", f"{P}/tasks", RUN, lambda ids: {"template_id": ids["template_id"]}, ("template_id",)),
    Row("tasks", "GET", f"{P}/tasks/<int:task_id>"),
    Row("tasks", "GET", f"{P}/tasks/<int:task_id>/output"),
    QueryRow("tasks", "GET", f"{P}/tasks/<int:task_id>/output/search", query="q=ok"),
    Row("tasks", "GET", f"{P}/tasks/<int:task_id>/raw_output"),
    Row("tasks", "GET", f"{P}/tasks/<int:task_id>/hosts"),
    Row("tasks", "DELETE", f"{P}/tasks/<int:task_id>", MANAGE),
    Row("tasks", "POST", f"{P}/tasks/<int:task_id>/stop", RUN, lambda ids: {"force": True},
        setup=lambda db, ids: task_status(db, ids, "waiting")),
    Row("tasks", "POST", f"{P}/tasks/<int:task_id>/confirm", RUN,
        setup=lambda db, ids: task_status(db, ids, "waiting_confirmation")),
    Row("tasks", "POST", f"{P}/tasks/<int:task_id>/reject", RUN,
        setup=lambda db, ids: task_status(db, ids, "waiting_confirmation")),
    # integrations and their matchers, extracted values and aliases
    *resource_rows("integrations", "integrations", "integration_id", lambda ids: {
        "name": "Push", "template_id": ids["template_id"], "searchable": True}, needs=("template_id",)),
    *resource_rows("integrations", "integrations/<int:integration_id>/matchers", "matcher_id", lambda ids: {
        "name": "main only", "match_type": "body", "method": "equals", "body_data_type": "json", "key": "ref",
        "value": "refs/heads/main"}),
    *resource_rows("integrations", "integrations/<int:integration_id>/values", "value_id", lambda ids: {
        "name": "commit", "value_source": "body", "body_data_type": "json", "key": "after", "variable": "COMMIT"}),
    Row("integrations", "GET", f"{P}/integrations/aliases", needs=("project_alias_id",)),
    Row("integrations", "POST", f"{P}/integrations/aliases", MANAGE),
    Row("integrations", "DELETE", f"{P}/integrations/aliases/<int:alias_id>", MANAGE,
        use={"alias_id": "project_alias_id"}),
    Row("integrations", "GET", f"{P}/integrations/<int:integration_id>/aliases", needs=("alias_id",)),
    Row("integrations", "POST", f"{P}/integrations/<int:integration_id>/aliases", MANAGE),
    Row("integrations", "DELETE", f"{P}/integrations/<int:integration_id>/aliases/<int:alias_id>", MANAGE),
    # the project's runners: owners and managers only, reads too (tokens and machines of the project)
    Row("project_runners", "GET", f"{P}/runners", MANAGE, needs=("runner_id",)),
    Row("project_runners", "POST", f"{P}/runners", MANAGE, lambda ids: {"name": "build box"}),
    Row("project_runners", "GET", f"{P}/runners/<int:runner_id>", MANAGE),
    Row("project_runners", "PUT", f"{P}/runners/<int:runner_id>", MANAGE,
        lambda ids: {"name": "renamed", "max_parallel_tasks": 2, "tags": ["linux"]}),
    Row("project_runners", "POST", f"{P}/runners/<int:runner_id>", MANAGE, lambda ids: {"name": "renamed"}),
    Row("project_runners", "POST", f"{P}/runners/<int:runner_id>/active", MANAGE, lambda ids: {"active": False}),
    Row("project_runners", "POST", f"{P}/runners/<int:runner_id>/cache", MANAGE),
    Row("project_runners", "DELETE", f"{P}/runners/<int:runner_id>", MANAGE),
    # the project's activity log
    Row("events", "GET", f"{P}/events", needs=("key_id",)),
    Row("events", "GET", f"{P}/events/last", needs=("key_id",)),
]

# Outside projects: "login" routes answer every logged-in user (about themselves or what they may
# see), "admin" routes only system admins. Non-admins may not create projects unless configured.
OTHER = {"user_id": "other_user_id"}
GLOBAL_RUNNER = {"runner_id": "global_runner_id"}
GLOBAL_ROWS: list[Row] = [
    Row("projects", "GET", "/api/projects", access="login"),
    Row("projects", "POST", "/api/projects", body=lambda ids: {"name": "New"}, access="admin"),
    # Restoring creates a project: the same right as creating one.
    Row("projects", "POST", "/api/projects/restore", body=lambda ids: {"meta": {"name": "Restored"}}, access="admin"),
    Row("users", "GET", "/api/users", access="login"),
    Row("users", "POST", "/api/users", access="admin", body=lambda ids: {
        "username": f"new-{ids['project_id']}", "email": f"new-{ids['project_id']}@example.test", "name": "New",
        "password": "a long enough password"}),
    Row("users", "GET", "/api/users/<int:user_id>", access="admin", use=OTHER),
    Row("users", "PUT", "/api/users/<int:user_id>", access="admin", use=OTHER, body=lambda ids: {"name": "Renamed"}),
    Row("users", "DELETE", "/api/users/<int:user_id>", access="admin", use=OTHER),
    Row("users", "POST", "/api/users/<int:user_id>/password", access="admin", use=OTHER,
        body=lambda ids: {"password": "another long password"}),
    Row("user", "GET", "/api/user", access="login"),
    Row("user", "GET", "/api/user/tokens", access="login"),
    Row("user", "POST", "/api/user/tokens", access="login"),
    Row("events", "GET", "/api/events", access="login"),
    Row("events", "GET", "/api/events/last", access="login"),
    Row("system", "GET", "/api/info", access="login"),
    Row("apps", "GET", "/api/apps", access="login"),
    Row("system", "GET", "/api/plugins", access="login"),
    # the original's admin endpoints: the task queue of every project, app settings, stored options
    Row("task_queue", "GET", "/api/tasks", access="admin", needs=("task_id",),
        setup=lambda db, ids: task_status(db, ids, "waiting")),
    Row("task_queue", "GET", "/api/tasks/<int:task_id>", access="admin",
        setup=lambda db, ids: task_status(db, ids, "waiting")),
    Row("task_queue", "DELETE", "/api/tasks/<int:task_id>", access="admin",
        setup=lambda db, ids: task_status(db, ids, "running")),
    Row("apps", "GET", "/api/apps/<string:app_id>", access="admin"),
    Row("apps", "PUT", "/api/apps/<string:app_id>", access="admin", body=lambda ids: {"title": "Renamed"}),
    Row("apps", "POST", "/api/apps/<string:app_id>", access="admin", body=lambda ids: {"priority": 5}),
    Row("apps", "POST", "/api/apps/<string:app_id>/active", access="admin", body=lambda ids: {"active": False}),
    Row("apps", "DELETE", "/api/apps/<string:app_id>", access="admin"),
    Row("options", "GET", "/api/options", access="admin"),
    # runners, global and of every project
    Row("runners", "GET", "/api/runners", access="admin", needs=("global_runner_id",)),
    Row("runners", "POST", "/api/runners", access="admin", body=lambda ids: {"name": "build box"}),
    Row("runners", "GET", "/api/runners/<int:runner_id>", access="admin", use=GLOBAL_RUNNER),
    Row("runners", "PUT", "/api/runners/<int:runner_id>", access="admin", use=GLOBAL_RUNNER,
        body=lambda ids: {"name": "renamed", "active": False, "max_parallel_tasks": 3, "tag": "linux"}),
    Row("runners", "POST", "/api/runners/<int:runner_id>", access="admin", use=GLOBAL_RUNNER,
        body=lambda ids: {"name": "renamed"}),
    Row("runners", "POST", "/api/runners/<int:runner_id>/active", access="admin", use=GLOBAL_RUNNER,
        body=lambda ids: {"active": False}),
    Row("runners", "POST", "/api/runners/<int:runner_id>/cache", access="admin", use=GLOBAL_RUNNER),
    Row("runners", "DELETE", "/api/runners/<int:runner_id>", access="admin", use=GLOBAL_RUNNER),
    # the server processes on the database, and draining one
    Row("nodes", "GET", "/api/nodes", access="admin", needs=("node_id",)),
    Row("nodes", "POST", "/api/nodes/<string:node_id>/drain", access="admin", body=lambda ids: {"draining": True}),
    Row("options", "POST", "/api/options", access="admin", body=lambda ids: {"key": "matrix.setting", "value": "1"}),
]

# Project routes that have no row, each with the reason.
SKIP: dict[tuple[str, str], str] = {}

# Routes outside projects that have no row, each with the reason.
GLOBAL_SKIP: dict[tuple[str, str], str] = {
    # No authentication by design: the health check and the login flow itself (tests/test_auth.py).
    ("GET", "/api/ping"): "public health check",
    ("GET", "/api/auth/login"): "public: which login methods exist",
    ("POST", "/api/auth/login"): "public: logging in",
    ("POST", "/api/auth/logout"): "harmless without a session",
    ("POST", "/api/auth/verify"): "public: completes a login waiting for its code (tests/test_totp.py)",
    ("POST", "/api/auth/recovery"): "public: completes a login waiting for its code (tests/test_totp.py)",
    # Two-factor enrolment is the user's own (admins may read and reset it), and needs TOTP on: the
    # caller-by-caller checks are in tests/test_totp.py::test_who_may_call_each_enrolment_route.
    ("GET", "/api/users/<int:user_id>/2fas/totp"): "self or admin (tests/test_totp.py)",
    ("POST", "/api/users/<int:user_id>/2fas/totp"): "self only (tests/test_totp.py)",
    ("GET", "/api/users/<int:user_id>/2fas/totp/<int:totp_id>/qr"): "self only (tests/test_totp.py)",
    ("POST", "/api/users/<int:user_id>/2fas/totp/<int:totp_id>/confirm"): "self only (tests/test_totp.py)",
    ("DELETE", "/api/users/<int:user_id>/2fas/totp/<int:totp_id>"): "self or admin (tests/test_totp.py)",
    # Each caller expires only their own tokens; the question is whose token, not which role.
    ("DELETE", "/api/user/tokens/<string:token_id>"): "own tokens only (tests/test_auth.py)",
    # The API description and static assets carry no data (tests/test_openapi.py).
    ("GET", "/api/openapi.json"): "API description",
    ("GET", "/api/swagger"): "API description",
    ("GET", "/api/swagger-ui/<path:filename>"): "static assets",
    # A websocket: a plain GET is a 400 before any check; upgrades are refused to anonymous callers and
    # deliver only the projects a viewer may see (tests/test_live_ws.py).
    ("GET", "/api/ws"): "websocket, tested over a real socket",
    # The public webhook authenticates each request itself (signature, token or HMAC per integration):
    # tests/test_webhooks_api.py and tests/test_webhooks_e2e.py.
    ("GET", "/api/integrations/<string:alias>"): "public webhook, authenticated by its integrations",
    ("POST", "/api/integrations/<string:alias>"): "public webhook, authenticated by its integrations",
    # The runner protocol authenticates runners, not users: a registration token in the body, then the
    # runner's own token (tests/test_runner_registration.py, tests/test_runners_e2e.py).
    ("POST", "/api/internal/runners"): "a runner registering, with a registration token",
    ("GET", "/api/internal/runners"): "a runner polling for jobs, with its runner token",
    ("PUT", "/api/internal/runners"): "a runner reporting progress, with its runner token",
    ("DELETE", "/api/internal/runners"): "a runner unregistering, with its runner token",
}


def test_every_role_on_every_project_route(plugin_app):
    failures, checks = run_matrix(plugin_app(matrix_executor=ExecutorPlugin()), ROWS)
    assert checks > 0
    assert not failures, report(failures)


def test_every_role_on_every_route_outside_projects(app):
    failures, checks = run_matrix(app, GLOBAL_ROWS)
    assert checks > 0
    assert not failures, report(failures)


def test_role_endpoint_tells_each_caller_their_role(sqlite_app):
    """What the web UI uses to show or hide buttons agrees with what the matrix enforces."""
    world = World(sqlite_app)
    ids = world.fresh_project([], None)
    seen = {}
    for actor in ("guest", "task_runner", "manager", "owner", "admin", "manager_token"):
        response = world.clients[actor].get(f"/api/project/{ids['project_id']}/role", headers=world.headers[actor])
        seen[actor] = response.get_json()
    assert seen == {
        "guest": {"role": "guest", "permissions": 0},
        "task_runner": {"role": "task_runner", "permissions": int(RUN)},
        "manager": {"role": "manager", "permissions": int(RUN | MANAGE | USERS)},
        "owner": {"role": "owner", "permissions": int(RUN | UPDATE | MANAGE | USERS)},
        "admin": {"role": "owner", "permissions": int(RUN | UPDATE | MANAGE | USERS)},
        "manager_token": {"role": "manager", "permissions": int(RUN | MANAGE | USERS)},
    }


def test_objects_of_another_project_are_not_found(sqlite_app):
    """No route lets a path of one project reach another project's objects."""
    failures, checks = run_cross_project(sqlite_app, ROWS)
    assert checks > 0
    assert not failures, report(failures)


class LaxProbePlugin:
    """Adds a project route that forgets its permission (any member may write), to show that the
    matrix and the coverage check catch such a route."""

    @hookimpl
    def register_blueprints(self, app):
        probe = Blueprint("matrix_probe", __name__, url_prefix=f"{P}/matrix-probe")

        @probe.post("")
        @project_endpoint()  # should be project_endpoint(Permission.MANAGE_RESOURCES)
        def lax_write(project_id):
            return "", 204

        app.register_blueprint(probe)


def test_the_matrix_catches_a_route_that_forgets_its_permission(sqlite_app):
    app = create_app_with_plugins(sqlite_app.extensions["semaphore"].config, {"lax_probe": LaxProbePlugin()})
    try:
        failures, _ = run_matrix(app, [Row("plugin", "POST", f"{P}/matrix-probe", MANAGE)])
        assert {(f.actor, f.want, f.got) for f in failures} == {("guest", 403, 204), ("task_runner", 403, 204)}
        with pytest.raises(AssertionError, match="matrix-probe"):
            _check_coverage(_registered(app, True), ROWS, SKIP)
    finally:
        app.extensions["semaphore"].db.dispose()


def test_refusal_comes_before_the_body_is_read(sqlite_app):
    failures, checks = run_refusals_with_bad_bodies(sqlite_app, ROWS)
    assert checks > 0
    assert not failures, report(failures)


def _registered(app, inside_projects: bool) -> set[tuple[str, str]]:
    """The API's routes; the web pages (blueprint ``web``) only read, and tests/test_web_access.py
    checks every one of them for every kind of caller."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("web."):
            continue
        if (rule.rule == P or rule.rule.startswith(P + "/")) == inside_projects:
            found |= {(method, rule.rule) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def _check_coverage(registered: set[tuple[str, str]], rows: list[Row], skip: dict[tuple[str, str], str]) -> None:
    keys = {row.key for row in rows}
    assert len(keys) == len(rows), "duplicate rows"
    missing = sorted(registered - keys - set(skip))
    assert not missing, "routes without a matrix row:\n" + "\n".join(f"{m} {r}" for m, r in missing)
    pending = placeholder_modules(row.module for row in rows)
    stale = sorted(row.key for row in rows if row.key not in registered and row.module not in pending)
    stale += sorted(key for key in skip if key not in registered)
    assert not stale, "matrix rows or skips for routes that do not exist:\n" + "\n".join(f"{m} {r}" for m, r in stale)


def test_matrix_covers_every_project_route(sqlite_app):
    """A project route added without a matrix row (or a skip entry saying why) fails here."""
    _check_coverage(_registered(sqlite_app, True), ROWS, SKIP)


def test_matrix_covers_every_route_outside_projects(sqlite_app):
    _check_coverage(_registered(sqlite_app, False), GLOBAL_ROWS, GLOBAL_SKIP)
