"""Bad input in any write of the API answers 400 naming the field (never a 500) and writes nothing:
JSON nested deeper than any real body, names with control characters, and numbers that are no JSON
integers (1.5, 2.0, "2") in integer fields.

The valid bodies come from the role matrix (tests/test_role_matrix.py), whose coverage test makes
sure that every route has one; each check spoils one field of a valid body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import Schema, fields
from matrix_support import ExecutorPlugin, Ids, Row, World
from runner_helpers import registration_body
from sqlalchemy import func, select
from test_role_matrix import GLOBAL_ROWS, ROWS

from semaphore.api.json_depth import MAX_JSON_DEPTH
from semaphore.db.models import Event, IntegrationAlias, Node, Runner
from semaphore.testing import create_app_with_plugins, create_user_row, log_in

WRITES = ("POST", "PUT", "PATCH", "DELETE")
NAME_KEYS = ("name", "title", "username")
CONTROL_CHARACTERS = ("\x00", "\t", "\n", "\x1b", "\x7f")
# Every kind of object with a name that a write route takes (the route modules of their rows).
NAMED = {"projects", "templates", "keys", "inventories", "repositories", "environments", "views", "schedules",
         "integrations", "users"}


def _path(rule: str, project_id: int) -> str:
    """The project's id for its variable, 1 for the others: the body is refused before they are looked up."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda found: str(project_id) if found.group(1) == "project_id" else "1",
                  rule)


@pytest.fixture
def world(sqlite_app):
    """On SQLite only: bad input is refused before any database is asked."""
    app = create_app_with_plugins(sqlite_app.extensions["semaphore"].config, {"matrix_executor": ExecutorPlugin()})
    yield World(app)
    app.extensions["semaphore"].db.dispose()


def _call(world: World, row: Row, make_body: Callable[[Ids], Any]) -> tuple[int, dict[str, Any]]:
    """Call ``row`` as an admin on a fresh project with the body ``make_body(ids)``; a 400 must
    have written nothing (no activity event)."""
    ids = world.fresh_project(row.fixtures(), row.setup)
    with world.app.extensions["semaphore"].db.session() as db:
        events = db.scalar(select(func.count()).select_from(Event))
    response = world.clients["admin"].open(row.path(ids), method=row.method, json=make_body(ids))
    if response.status_code == 400:
        with world.app.extensions["semaphore"].db.session() as db:
            assert db.scalar(select(func.count()).select_from(Event)) == events, f"{row.rule}: a refused write wrote"
    return response.status_code, response.get_json(silent=True) or {}


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def test_deeply_nested_json_is_400_on_every_write(sqlite_app):
    """Python's parser would recurse into a RecursionError (500); every write refuses the body first."""
    create_user_row(sqlite_app, "root", admin=True)
    root = log_in(sqlite_app.test_client(), "root")
    project_id = root.post("/api/projects", json={"name": "Ops"}).get_json()["id"]
    bodies = ("[" * 100_000 + "]" * 100_000, json.dumps({"name": "n", "task_params": {"a": _nested(MAX_JSON_DEPTH)}}))
    failed, checked = [], 0
    for rule in sqlite_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in set(WRITES) & set(rule.methods or ()):
            for body in bodies:
                checked += 1
                response = root.open(_path(rule.rule, project_id), method=method, data=body,
                                     content_type="application/json")
                error = (response.get_json(silent=True) or {}).get("error", "")
                if response.status_code != 400 or "nested" not in error:
                    failed.append(f"{method} {rule.rule}: {response.status_code} {error}")
    assert checked > 50
    assert failed == [], "\n".join(failed)


def test_json_text_nested_too_deeply_is_400_naming_the_field(world):
    """A field that holds JSON as text (an environment's variables) is parsed too."""
    row = _row("POST", "/environment")
    status, body = _call(world, row, lambda ids: {"name": "deep", "json": "[" * 100_000 + "]" * 100_000})
    assert (status, body.get("field")) == (400, "json")


def test_a_body_nested_as_deep_as_allowed_is_read(world):
    row = _row("POST", "/integrations")
    status, body = _call(world, row, lambda ids: {**row.body(ids), "task_params": {"a": _nested(MAX_JSON_DEPTH - 2)}})
    assert status == 201, body


def test_a_webhook_body_nested_too_deeply_matches_nothing(world):
    """The public webhook reads its body as JSON whatever its content type says: too deep to read
    is no match, not a 500."""
    ids = world.fresh_project([("matcher_id", "matcher_id"), ("alias_id", "alias_id")], None)
    with world.app.extensions["semaphore"].db.session() as db:
        alias = db.get(IntegrationAlias, ids["alias_id"]).alias  # type: ignore[union-attr]
    response = world.app.test_client().post(f"/api/integrations/{alias}", data="[" * 100_000 + "]" * 100_000,
                                            content_type="text/plain")
    assert response.status_code < 500, response.get_data(as_text=True)


def _row(method: str, suffix: str) -> Row:
    return next(row for row in ROWS if row.method == method and row.rule.endswith(suffix))


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
def test_names_with_control_characters_are_400_naming_the_field(world, character):
    failed, named = [], set()
    for row in [*ROWS, *GLOBAL_ROWS]:
        if row.method not in WRITES or row.body is None:
            continue
        for key in NAME_KEYS:
            if key not in (row.body(world.fresh_project(row.fixtures(), row.setup)) or {}):
                continue
            named.add(row.module)
            status, body = _call(world, row, lambda ids, body=row.body, key=key: {**body(ids), key: f"a{character}b"})
            if (status, body.get("field")) != (400, key):
                failed.append(f"{row.method} {row.rule} {key}: {status} {body}")
    assert failed == [], "\n".join(failed)
    assert named >= NAMED, f"no write with a name tested for {NAMED - named}"


def _integer_fields(schema: Schema, prefix: str = "") -> list[str]:
    """The integer fields a body schema loads, nested ones as ``outer.inner``."""
    found = []
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if isinstance(field, fields.Integer):
            found.append(prefix + key)
        elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            found += _integer_fields(field.schema, f"{prefix}{key}.")
    return found


def _body_schema(app: Any, method: str, rule: str) -> Schema | None:
    for url_rule in app.url_map.iter_rules():
        if url_rule.rule == rule and method in (url_rule.methods or ()):
            view = app.view_functions[url_rule.endpoint]
            for argument in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                if argument.get("location", "json") == "json":
                    schema = argument["schema"]
                    return schema() if isinstance(schema, type) else schema
    return None


def _with_value(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    outer, _, inner = dotted.partition(".")
    if not inner:
        return {**body, outer: value}
    return {**body, outer: _with_value(body.get(outer) or {}, inner, value)}


@pytest.mark.parametrize("number", [1.5, 2.0, "2", True], ids=repr)
def test_integer_fields_take_json_integers_only(world, number):
    """Every integer field of every write body: a fraction would be cut, 2.0 and "2" are no integers
    (the original's Go decoder refuses them too)."""
    failed, checked = [], 0
    for row in [*ROWS, *GLOBAL_ROWS]:
        if row.method not in WRITES:
            continue
        schema = _body_schema(world.app, row.method, row.rule)
        if schema is None:
            continue
        for dotted in _integer_fields(schema):
            checked += 1
            status, body = _call(world, row, lambda ids, row=row, dotted=dotted: _with_value(
                row.body(ids) if row.body is not None else {}, dotted, number))
            if (status, body.get("field")) != (400, dotted):
                failed.append(f"{row.method} {row.rule} {dotted}={number!r}: {status} {body}")
    assert checked > 20
    assert failed == [], "\n".join(failed)


def test_view_positions_take_json_integers_only(world):
    row = _row("POST", "/views/positions")
    for number in (1.5, 2.0, "2"):
        status, body = _call(world, row, lambda ids, number=number: {str(ids["view_id"]): number})
        assert status == 400, (number, body)


@pytest.mark.parametrize(("key", "value"), [
    ("runner_tags", "linux"), ("runner_tags", [""]), ("runner_tags", ["a,b"]), ("runner_tags", ["a b"]),
    ("runner_tags", ["x" * 51]), ("runner_tags", [1]), ("runner_tags_match", "most"), ("runner_tags_match", None),
], ids=repr)
def test_a_template_with_bad_runner_tags_is_400_naming_the_field(world, key, value):
    row = _row("POST", "/templates")
    status, body = _call(world, row, lambda ids: {**row.body(ids), key: value})
    assert status == 400 and body.get("field", "").split(".")[0] == key, body


RUNNER_BAD_FIELDS = [
    ("name", "a\nb"), ("max_parallel_tasks", 1.5), ("max_parallel_tasks", "2"), ("max_parallel_tasks", -1),
    ("tags", "linux"), ("tags", [""]), ("tags", ["a\tb"]), ("tags", [" padded"]), ("apps", [1]),
    ("version", "1\x00"), ("public_key", 5), ("webhook", None), ("registration_token", None),
    ("webhook", "ftp://hooks.example/r"), ("webhook", "file:///etc/passwd"), ("webhook", "not a url"),
]


@pytest.mark.parametrize(("key", "value"), RUNNER_BAD_FIELDS, ids=repr)
def test_a_runner_registration_with_a_bad_field_is_400_naming_it(world, key, value):
    """The runner protocol is outside the matrix (runners, not users, call it): its registration
    body is checked field by field here, and a refused registration registers nothing."""
    world.app.extensions["semaphore"].config.runners.registration_token = "global"
    response = world.app.test_client().post("/api/internal/runners",
                                            json=registration_body("global", **{key: value}))
    field = response.get_json().get("field", "")
    assert response.status_code == 400 and field.split(".")[0] == key, response.get_json()  # tags.0 for a list's item
    with world.app.extensions["semaphore"].db.session() as db:
        assert db.scalar(select(func.count()).select_from(Runner)) == 0


@pytest.mark.parametrize("token", [None, "", "not a runner token", "x" * 10_000, "\u00e9\u00e9"], ids=repr)
def test_a_poll_without_a_valid_runner_token_is_401_and_nothing_else(world, token):
    """The poll takes no body: its input is the runner token, checked before anything else."""
    headers = {} if token is None else {"X-Runner-Token": token.encode().decode("latin-1")}
    response = world.app.test_client().get("/api/internal/runners", headers=headers)
    assert response.status_code == 401 and set(response.get_json()) == {"error"}, response.get_json()


@pytest.mark.parametrize("body", [{}, {"draining": None}, {"draining": "maybe"}, {"draining": [True]},
                                  {"draining": {"on": True}}], ids=repr)
def test_a_drain_with_a_bad_body_is_400_naming_the_field_and_drains_nothing(world, body):
    row = next(row for row in GLOBAL_ROWS if row.rule.endswith("/drain"))
    status, answer = _call(world, row, lambda ids: body)
    assert (status, answer.get("field")) == (400, "draining"), answer
    with world.app.extensions["semaphore"].db.session() as db:
        assert db.scalars(select(Node.draining)).all() == [False]


@pytest.mark.parametrize("node_id", ["no-such-node", "x" * 300, "%00", "..", "n\u00f6de"], ids=repr)
def test_draining_an_unknown_node_is_404(world, node_id):
    response = world.clients["admin"].post(f"/api/nodes/{node_id}/drain", json={"draining": True})
    assert response.status_code == 404 and response.get_json() == {"error": "node not found"}
