"""Who may do what: every project route against every kind of caller, on every database.

Callers: anonymous, a logged-in non-member, the four project roles, a system admin who is not a
member, and a manager's API token (which must behave exactly like the manager's session). Expected:
anonymous 401; non-member 404; reads allowed for every member; writes allowed with the permission the
route needs, 403 without it; admins allowed everywhere. "Allowed" means a 2xx: every row sends a
valid body, so a permission bug cannot hide behind a validation error.
"""

from __future__ import annotations

from matrix_support import Row, placeholder_modules, report, resource_rows, run_matrix
from semaphore.services.roles import Permission

P = "/api/project/<int:project_id>"
RUN, UPDATE, MANAGE, USERS = (Permission.RUN_TASKS, Permission.UPDATE_PROJECT, Permission.MANAGE_RESOURCES,
                              Permission.MANAGE_USERS)

ROWS: list[Row] = [
    # projects
    Row("projects", "GET", P),
    Row("projects", "PUT", P, UPDATE, lambda ids: {"name": "Renamed", "max_parallel_tasks": 2}),
    Row("projects", "DELETE", P, UPDATE),
    Row("projects", "GET", f"{P}/role"),
    # Any member may leave (a second owner exists, so the owner is not the last); an admin who is
    # not a member has nothing to leave.
    Row("projects", "DELETE", f"{P}/me", expect={"admin": 400}),
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
]

# Project routes that have no row, each with the reason.
SKIP: dict[tuple[str, str], str] = {}


def test_every_role_on_every_project_route(app):
    failures, checks = run_matrix(app, ROWS)
    assert checks > 0
    assert not failures, report(failures)


def test_matrix_covers_every_project_route(sqlite_app):
    """A project route added without a matrix row (or a skip entry saying why) fails here."""
    registered = set()
    for rule in sqlite_app.url_map.iter_rules():
        if rule.rule == P or rule.rule.startswith(P + "/"):
            registered |= {(method, rule.rule) for method in rule.methods - {"HEAD", "OPTIONS"}}
    rows = {row.key for row in ROWS}
    assert len(rows) == len(ROWS), "duplicate rows"
    missing = sorted(registered - rows - set(SKIP))
    assert not missing, "project routes without a matrix row:\n" + "\n".join(f"{m} {r}" for m, r in missing)
    pending = placeholder_modules(row.module for row in ROWS)
    stale = sorted(row.key for row in ROWS if row.key not in registered and row.module not in pending)
    assert not stale, "matrix rows for routes that do not exist:\n" + "\n".join(f"{m} {r}" for m, r in stale)
