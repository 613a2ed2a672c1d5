"""Our answers against the original's API description: every operation of Semaphore's Swagger
document (tests/data/semaphore-api-docs.yml, the original's api-docs.yml) that we serve is called
with a valid request, and its JSON answer must validate against the response schema the document
gives (converted from Swagger 2.0 to JSON Schema).

The valid requests are the role matrix's rows (tests/test_role_matrix.py), called by an admin on a
fresh project; routes outside the matrix have a case here. The coverage test fails when an operation
of the document that we serve has neither, so a new route cannot escape the check.

Where the document is wrong about what the original answers (a Go ``*int`` is null when unset, but
the document says integer) or where we knowingly differ (docs/api.md, "Differences from the
original"), :data:`NULLABLE`, :data:`CORRECTED` and :data:`NOT_VALIDATED` say so with the reason.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from matrix_support import ExecutorPlugin, Ids, Row, World
from test_role_matrix import GLOBAL_ROWS, ROWS

from semaphore.testing import TEST_PASSWORD, create_app_with_plugins

REFERENCE = Path(__file__).parent / "data" / "semaphore-api-docs.yml"
METHODS = ("get", "post", "put", "delete", "patch")

# (definition, property): the original answers null when unset (a Go pointer), which the document
# does not say. reference: docs of each model in the original's db package.
NULLABLE: dict[tuple[str, str], str] = {
    ("Inventory", "ssh_key_id"): "*int in the original: null without a connection key",
    ("Inventory", "become_key_id"): "*int in the original: null without a become key",
    ("Template", "inventory_id"): "*int in the original: terraform and shell templates need none",
    ("Template", "environment_id"): "*int in the original",
    ("Template", "view_id"): "*int in the original: a template outside every view",
    ("Template", "arguments"): "*string in the original (PUT turns \"\" into null)",
    ("Template", "description"): "*string in the original",
    ("Template", "git_branch"): "*string in the original: the repository's branch when null",
    ("TemplateRequest", "inventory_id"): "a create answers the Template: see Template",
    ("TemplateRequest", "environment_id"): "a create answers the Template: see Template",
    ("TemplateRequest", "view_id"): "a create answers the Template: see Template",
    ("TemplateRequest", "arguments"): "a create answers the Template: see Template",
    ("TemplateRequest", "description"): "a create answers the Template: see Template",
    ("TemplateRequest", "git_branch"): "a create answers the Template: see Template",
    ("Environment", "env"): "*string in the original: no environment variables",
    ("Event", "project_id"): "*int in the original: user administration has no project",
    ("Event", "user_id"): "*int in the original: scheduled and webhook tasks have no user",
    ("Project", "alert_chat"): "already nullable in the document",
    ("ProjectBackup", "templates.inventory"): "*string in the original: terraform and shell templates need none",
    ("ProjectBackup", "templates.environment"): "*string in the original",
    ("ProjectBackup", "templates.view"): "*string in the original: a template outside every view",
    ("ProjectBackup", "templates.description"): "*string in the original, as the Template's",
}

# (definition, property): the document's type is wrong; the original answers this one.
CORRECTED: dict[tuple[str, str], tuple[dict[str, Any], str]] = {
    ("ProjectBackup", "templates.survey_vars"): (
        {"type": "array"}, "the original's backup writes the survey's list, not its JSON text (reference §10)"),
}

# (definition, property) the document lists but the original's answers do not carry.
NOT_ANSWERED: dict[tuple[str, str], str] = {
    ("InfoType", "update"): "the original's /api/info answers version, ansible, web_host, use_remote_runner",
    ("InfoType", "updateBody"): "the original's /api/info answers version, ansible, web_host, use_remote_runner",
    ("TemplateRequest", "limit"): "no template field in the original (a task's limit is)",
    ("Environment", "password"): "legacy and unused in the original (always null); left out",
    ("Task", "secret"): "secret extra variables are write-only: never answered, not even blank",
}

# Operations whose answer is not validated, with the reason (each is in docs/api.md "Differences").
NOT_VALIDATED: dict[tuple[str, str], str] = {
    ("GET", "/ws"): "a websocket (tests/test_live_ws.py): a plain GET answers 400",
}


def _reference() -> dict[str, Any]:
    return yaml.safe_load(REFERENCE.read_text())  # type: ignore[no-any-return]


def _definitions(reference: dict[str, Any]) -> dict[str, Any]:
    """The document's definitions with every property required (the original's Go structs answer
    every field, null or not) except where :data:`NOT_ANSWERED` says, and :data:`NULLABLE` applied."""
    definitions = copy.deepcopy(reference["definitions"])
    for name, definition in definitions.items():
        if definition.get("type") == "object" and "properties" in definition:
            definition["required"] = [prop for prop in definition["properties"] if (name, prop) not in NOT_ANSWERED]
    for (name, prop), (corrected, _reason) in CORRECTED.items():
        _property(definitions[name], prop).clear()
        _property(definitions[name], prop).update(corrected)
    for (name, prop), _reason in NULLABLE.items():
        schema = _property(definitions[name], prop)
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = [*dict.fromkeys([*types, "null"])]
    return definitions


def _property(definition: dict[str, Any], prop: str) -> dict[str, Any]:
    """A property's schema; ``templates.view`` is the view of each item of ``templates``."""
    schema = definition
    for part in prop.split("."):
        schema = schema.get("items", schema)["properties"][part]
    return schema


def _normal(path: str) -> str:
    """A path with its variables as {} and no trailing slash: the document's and Flask's compare."""
    return re.sub(r"\{\w+\}|<(?:\w+:)?\w+>", "{}", path).rstrip("/") or "/"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the document, without /api
    spec: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def _operations(reference: dict[str, Any]) -> Iterator[Operation]:
    for path, item in reference["paths"].items():
        for method in METHODS:
            if method in item:
                yield Operation(method.upper(), path, item[method])


def _served(app: Any) -> dict[tuple[str, str], str]:
    """(method, normal path without /api) -> our Flask rule."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods or ():
                found[method, _normal(rule.rule[len("/api"):])] = rule.rule
    return found


def _response_schema(reference: dict[str, Any], operation: Operation) -> dict[str, Any] | None:
    """The schema of the operation's 2xx answer; for a create that the original answers with 204 and
    no body (we answer 201 with the object: docs/api.md), the schema of the list's items."""
    for status, response in operation.spec.get("responses", {}).items():
        if 200 <= int(status) < 300 and "schema" in response:
            return response["schema"]  # type: ignore[no-any-return]
    if operation.method == "POST":
        listing = reference["paths"].get(operation.path, {}).get("get")
        if listing is not None:
            schema = _response_schema(reference, Operation("GET", operation.path, listing))
            if schema is not None and schema.get("type") == "array":
                return schema["items"]  # type: ignore[no-any-return]
    return None


def _documents_a_body(operation: Operation) -> bool:
    return any("schema" in response for response in operation.spec.get("responses", {}).values())


# -- the requests ------------------------------------------------------------------------------

def _matrix_rows() -> dict[tuple[str, str], Row]:
    return {(row.method, _normal(row.rule[len("/api"):])): row for row in [*ROWS, *GLOBAL_ROWS]}


def _public(method: str, path: str, body: Callable[[Ids], Any] | None = None) -> Row:
    return Row("reference", method, path, body=body, access="login")


# Routes outside the matrix (public, or the caller's own objects), each with a valid request.
EXTRA_CASES: dict[tuple[str, str], Row] = {
    ("GET", "/ping"): _public("GET", "/api/ping"),
    ("GET", "/auth/login"): _public("GET", "/api/auth/login"),
    ("POST", "/auth/login"): _public("POST", "/api/auth/login", lambda ids: {"auth": "admin",
                                                                             "password": TEST_PASSWORD}),
    ("POST", "/auth/logout"): _public("POST", "/api/auth/logout"),
}


def _call(world: World, row: Row, extra: list[tuple[str, str]]) -> Any:
    # Reads get every kind of object in their project, so that lists and references are not empty.
    fixtures = row.fixtures() + (extra if row.method == "GET" else [])
    ids = world.fresh_project(fixtures, row.setup)
    client = world.app.test_client() if row.module == "reference" else world.clients["admin"]
    return client.open(row.path(ids), method=row.method, json=row.body(ids) if row.body else None)


def _token_case(world: World) -> Any:
    """DELETE /user/tokens/{id}: the admin's own new token."""
    token = world.clients["admin"].post("/api/user/tokens").get_json()["id"]
    return world.clients["admin"].delete(f"/api/user/tokens/{token}")


SPECIAL_CASES: dict[tuple[str, str], Callable[[World], Any]] = {
    ("DELETE", "/user/tokens/{api_token_id}"): _token_case,
}
EVERYTHING = [("task_id", "task_id"), ("schedule_id", "schedule_id"), ("matcher_id", "matcher_id"),
              ("value_id", "value_id"), ("alias_id", "alias_id"), ("view_id", "view_id")]


@pytest.fixture
def world(sqlite_app):
    app = create_app_with_plugins(sqlite_app.extensions["semaphore"].config, {"matrix_executor": ExecutorPlugin()})
    yield World(app)
    app.extensions["semaphore"].db.dispose()


def test_every_served_operation_of_the_reference_has_a_case(sqlite_app):
    """An operation of the original's API that we serve without a case here fails (as the role
    matrix's coverage test does); so does a case or exception for an operation we do not serve."""
    served = _served(sqlite_app)
    rows = _matrix_rows()
    missing, stale = [], []
    for operation in _operations(_reference()):
        key = (operation.method, _normal(operation.path))
        has_case = key in rows or operation.key in EXTRA_CASES or operation.key in SPECIAL_CASES
        if key in served and not has_case and operation.key not in NOT_VALIDATED:
            missing.append(f"{operation.method} {operation.path}")
    for method, path in [*EXTRA_CASES, *SPECIAL_CASES, *NOT_VALIDATED]:
        if (method, _normal(path)) not in served:
            stale.append(f"{method} {path}")
    assert not missing, "served operations of the reference without a case:\n" + "\n".join(missing)
    assert not stale, "cases for operations we do not serve:\n" + "\n".join(stale)


def test_our_answers_match_the_reference_schemas(world):
    reference = _reference()
    definitions = _definitions(reference)
    served = _served(world.app)
    rows = _matrix_rows()
    failures, checked = [], 0
    for operation in _operations(reference):
        key = (operation.method, _normal(operation.path))
        if key not in served or operation.key in NOT_VALIDATED:
            continue
        if operation.key in SPECIAL_CASES:
            response = SPECIAL_CASES[operation.key](world)
        else:
            response = _call(world, EXTRA_CASES.get(operation.key) or rows[key], EVERYTHING)
        label = f"{operation.method} {operation.path}"
        if not 200 <= response.status_code < 300:
            failures.append(f"{label}: {response.status_code} {response.get_data(as_text=True)[:300]}")
            continue
        schema = _response_schema(reference, operation)
        if schema is None or (response.status_code == 204 and not _documents_a_body(operation)):
            continue
        answer = response.get_json(silent=True) if response.is_json else response.get_data(as_text=True)
        checked += 1
        try:
            jsonschema.Draft4Validator({**schema, "definitions": definitions}).validate(answer)
        except jsonschema.ValidationError as error:
            where = "/".join(str(part) for part in error.absolute_path)
            failures.append(f"{label}: at {where or 'the top'}: {error.message}")
    assert checked > 40
    assert not failures, f"{len(failures)} answers differ from the reference:\n" + "\n".join(failures)
