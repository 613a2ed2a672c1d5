"""Property-based fuzzing of the REST API against our own OpenAPI document, with schemathesis.

Every operation of ``/api/openapi.json`` is called with generated requests, valid and invalid
(wrong types, missing or extra fields, boundary and out-of-range numbers, odd strings, unsupported
methods), once as a system admin and once as a project guest, each with an API token. No response
may be a 5xx, and each one's status code, content type and body must be what the document says.
Two schemathesis phases run: "coverage" (systematic: each field's boundaries and wrong types, one at
a time) and "fuzzing" (EXAMPLES random requests per operation and role): about 17,000 requests in
all, some 11,000 of them from the coverage phase; the suite's summary prints the count.

The requests go to the real application (installed plugins, SQLite database) through its WSGI
interface rather than to a server process: the same code answers, several times faster, and the
database can be restored before each operation, which a running server would not allow. The seeded
project holds one object of each kind (keys, repository, inventory, variable group, view, template,
schedule, task with output, integration with matcher, value and alias, a node); path ids are mostly drawn
from those, so requests get past the 404 of an unknown id to the code behind it. Because each
operation starts from the seeded database, a destructive request (deleting the project, demoting
the admin, removing the guest) only affects the rest of that operation's examples.

Generation is deterministic (a fixed seed per operation, no example database), so CI repeats what
a laptop ran. Run it alone with ``.venv/bin/python -m pytest -n 2 tests/test_api_fuzz.py``; with
``SEMAPHORE_TEST_FUZZ_DIALECT=postgres`` or ``mysql`` (and that dialect's ``SEMAPHORE_TEST_*_URL``)
it runs on that database instead, restoring by emptying and seeding again: slower, so not the default.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from task_helpers import add_output, create_project, run_task

from semaphore.app import create_app
from semaphore.db.models import Node
from semaphore.testing import _empty_tables, create_user_row, log_in, make_config

EXAMPLES = 25  # fuzzing-phase requests per operation and role (fewer where the inputs run out)
ROLES = ("admin", "guest")
DIALECT = os.environ.get("SEMAPHORE_TEST_FUZZ_DIALECT", "sqlite")

CONFIG = schemathesis.Config.from_dict({
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {"examples": {"enabled": False}, "coverage": {"enabled": True}, "stateful": {"enabled": False}},
    "checks": {"enabled": False, "not_a_server_error": {"enabled": True},
               "status_code_conformance": {"enabled": True}, "content_type_conformance": {"enabled": True},
               "response_schema_conformance": {"enabled": True}},
})


def openapi_document() -> dict[str, Any]:
    """The document as a server serves it (building it needs an app, not a database)."""
    with tempfile.TemporaryDirectory() as directory:
        application = create_app(make_config(Path(directory), {"SEMAPHORE_DB_HOST": f"{directory}/db.sqlite"}))
        document: dict[str, Any] = application.test_client().get("/api/openapi.json").get_json()
        application.extensions["semaphore"].db.dispose()
    return document


schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)

# Path parameter name -> ids of seeded objects (filled by the ``world`` fixture, the same in every worker).
SEEDED: dict[str, list[Any]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Two requests in three go to seeded objects; the third keeps the generated ids."""
    if not path_parameters:
        return st.just(path_parameters)
    seeded = {name: st.sampled_from(SEEDED[name]) if SEEDED.get(name) else st.just(value)
              for name, value in path_parameters.items()}
    return st.sampled_from([True, True, False]).flatmap(
        lambda use_seeded: st.fixed_dictionaries(seeded) if use_seeded else st.just(path_parameters))


def aim_at_seeded_objects(case: Any) -> None:
    """Coverage-phase cases (built before the database exists) vary one part of a request at a time:
    unless that part is the path, send them to the seeded objects, so that the varied body or query
    reaches validation rather than stopping at the 404 of an unknown project."""
    phase = case.meta.phase if case.meta else None
    if phase is not None and phase.name == "coverage" and phase.data.parameter_location != "path":
        case.path_parameters = {name: SEEDED[name][0] if name in SEEDED else value
                                for name, value in (case.path_parameters or {}).items()}


@dataclass
class World:
    app: Any
    tokens: dict[str, str]
    database: Path | None = None  # SQLite: the file the app uses, and a copy of it as seeded
    seeded: Path | None = None
    requests: int = 0

    def restore(self) -> None:
        """Put the database back as seeded: SQLite's file once every connection is closed, else
        empty the tables and seed again."""
        db = self.app.extensions["semaphore"].db
        db.dispose()
        if self.database is not None and self.seeded is not None:
            shutil.copy(self.seeded, self.database)
        else:
            _empty_tables(db.engine)
            self.tokens = seed(self.app)


def created(client: Any, url: str, body: Any = None) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code == 201, (url, response.get_json())
    answer: dict[str, Any] = response.get_json()
    return answer


def api_token(client: Any) -> str:
    return str(created(client, "/api/user/tokens")["id"])


def seed(app: Any) -> dict[str, str]:
    """A project with one object of each kind, an admin and a guest member; their API tokens."""
    admin_id = create_user_row(app, "admin", admin=True)
    guest_id = create_user_row(app, "guest")
    admin = log_in(app.test_client(), "admin")
    project = create_project(app, admin, "Fuzz")
    url = project.url
    assert admin.post(f"{url}/users", json={"user_id": guest_id, "role": "guest"}).status_code == 204
    template = created(admin, f"{url}/templates", {
        "name": "Deploy", "app": "bash", "playbook": "deploy.sh", "repository_id": project.repository_id,
        "inventory_id": project.inventory_id, "environment_id": project.environment_id, "view_id": project.view_id})
    task = run_task(admin, project, template["id"])
    add_output(app, task["id"], ["PLAY [all]", "ok: [localhost]"])
    schedule = created(admin, f"{url}/schedules", {"template_id": template["id"], "cron_format": "0 3 * * *",
                                                   "name": "nightly"})
    integration = created(admin, f"{url}/integrations", {"name": "push", "template_id": template["id"]})
    item = f"{url}/integrations/{integration['id']}"
    matcher = created(admin, f"{item}/matchers", {"name": "main", "match_type": "body", "body_data_type": "json",
                                                  "key": "ref", "value": "main"})
    value = created(admin, f"{item}/values", {"name": "ref", "value_source": "body", "body_data_type": "json",
                                              "key": "ref", "variable": "REF"})
    alias = created(admin, f"{item}/aliases")
    ids = {"project_id": project.id, "user_id": guest_id, "key_id": project.ssh_key_id,
           "repository_id": project.repository_id, "inventory_id": project.inventory_id,
           "environment_id": project.environment_id, "view_id": project.view_id, "template_id": template["id"],
           "task_id": task["id"], "schedule_id": schedule["id"], "integration_id": integration["id"],
           "matcher_id": matcher["id"], "value_id": value["id"], "alias_id": alias["id"], "alias": alias["alias"]}
    for name, value in ids.items():
        assert value, (name, ids)
        SEEDED[name] = [value]
    SEEDED["user_id"].append(admin_id)
    with app.extensions["semaphore"].db.session() as db:  # a server process's node row, to drain
        db.add(Node(id="fuzz-node", host="fuzz-host", pid=1, version="0"))
        db.commit()
    SEEDED["node_id"] = ["fuzz-node"]
    SEEDED["key_id"].append(project.vault_key_id)  # a login_password key beside the ssh one
    return {"admin": api_token(admin), "guest": api_token(log_in(app.test_client(), "guest"))}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, _migrated: Any) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("fuzz")
    env = dict(_migrated(DIALECT))
    if DIALECT == "sqlite":
        shutil.copy(env["SEMAPHORE_DB_HOST"], directory / "semaphore.sqlite")
        env["SEMAPHORE_DB_HOST"] = str(directory / "semaphore.sqlite")
    app = create_app(make_config(directory, env))
    world = World(app, seed(app))
    if DIALECT == "sqlite":
        app.extensions["semaphore"].db.dispose()
        world.database, world.seeded = directory / "semaphore.sqlite", directory / "seeded.sqlite"
        shutil.copy(world.database, world.seeded)
    yield world
    app.extensions["semaphore"].db.dispose()


@pytest.fixture
def fuzz_app(world: World, request: pytest.FixtureRequest) -> Iterator[World]:
    world.restore()
    world.requests = 0
    yield world
    request.node.user_properties.append(("api_requests", world.requests))


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # restored per operation, on purpose
def test_every_response_matches_the_document(case: Any, role: str, fuzz_app: World) -> None:
    aim_at_seeded_objects(case)
    fuzz_app.requests += 1
    case.call_and_validate(app=fuzz_app.app, headers={"Authorization": f"Bearer {fuzz_app.tokens[role]}"})
