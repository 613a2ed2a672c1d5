"""The public webhook endpoint, /api/integrations/<alias>, through the Flask test client on every
database: authentication, matchers, extracted values, aliases, and what is answered."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from task_helpers import ScriptExecutorPlugin, build_app, create_template, query
from task_helpers import create_project as create_task_project
from webhook_payloads import (
    COMMIT_ID,
    COMMIT_MESSAGE,
    encoded,
    github_headers,
    github_push,
    github_signature,
    gitlab_headers,
    gitlab_push,
)

from semaphore.api.webhooks import MAX_WEBHOOK_BODY
from semaphore.testing import create_user_row, log_in, make_config

SECRET = "It's a Secret to Everybody"
NOT_AUTHENTICATED = {"error": "webhook not authenticated"}


@pytest.fixture
def app(script_app):
    return script_app


@dataclass
class Hooks:
    """Sets up integrations over the project API as an admin, and sends webhooks anonymously."""

    app: Any
    admin: Any
    pid: int
    template_id: int

    @property
    def url(self) -> str:
        return f"/api/project/{self.pid}/integrations"

    def created(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = self.admin.post(self.url + path, json=body)
        assert response.status_code == status, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result

    def secret(self, password: str = SECRET) -> int:
        response = self.admin.post(f"/api/project/{self.pid}/keys", json={
            "name": f"secret {password}", "type": "login_password", "login_password": {"password": password}})
        assert response.status_code == 201, response.get_json()
        return int(response.get_json()["id"])

    def integration(self, name: str = "push", **fields: Any) -> int:
        return int(self.created("", {"name": name, "template_id": self.template_id, **fields})["id"])

    def github(self, name: str = "github", password: str = SECRET, **fields: Any) -> int:
        return self.integration(name, auth_method="github", auth_secret_id=self.secret(password), **fields)

    def matcher(self, integration_id: int, **fields: Any) -> None:
        self.created(f"/{integration_id}/matchers", {"name": "m", **fields})

    def value(self, integration_id: int, variable: str, **fields: Any) -> None:
        self.created(f"/{integration_id}/values", {"name": variable, "variable": variable, **fields})

    def alias(self, integration_id: int | None = None) -> str:
        path = f"/{integration_id}/aliases" if integration_id else "/aliases"
        response = self.admin.post(self.url + path)
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["alias"])

    def send(self, alias: str, body: bytes = b"", headers: dict[str, str] | None = None,
             method: str = "POST") -> Any:
        return self.app.test_client().open(f"/api/integrations/{alias}", method=method, data=body,
                                           headers=headers or {})

    def tasks(self) -> list[dict[str, Any]]:
        rows = query(self.app, "SELECT id, integration_id, user_id, environment, message, status FROM task "
                               "ORDER BY id")
        return [{"id": row[0], "integration_id": row[1], "user_id": row[2],
                 "environment": json.loads(row[3]) if row[3] else None, "message": row[4], "status": row[5]}
                for row in rows]


@pytest.fixture
def hooks(app, admin_client, project):
    template = create_template(admin_client, project)
    return Hooks(app, admin_client, project.id, template["id"])


def execute(app: Any, sql: str, **params: Any) -> None:
    """A change the API refuses, as an older version or a restored backup may have left it."""
    with app.extensions["semaphore"].db.engine.begin() as conn:
        conn.execute(text(sql), params)


def push(hooks: Hooks, alias: str, secret: str | None = SECRET, payload: Any = None) -> Any:
    body = encoded(payload if payload is not None else github_push())
    return hooks.send(alias, body, github_headers(body, secret))


# -- authentication --------------------------------------------------------------------------------

def test_a_signed_github_push_starts_the_template_with_the_commits_values(hooks):
    integration = hooks.github()
    hooks.matcher(integration, match_type="header", key="X-GitHub-Event", value="push")
    hooks.matcher(integration, match_type="body", body_data_type="json", key="ref", value="refs/heads/main")
    hooks.value(integration, "REPOSITORY", value_source="body", body_data_type="json", key="repository.full_name")
    hooks.value(integration, "COMMIT", value_source="body", body_data_type="json", key="commits.0.id")
    hooks.value(integration, "COMMIT_MESSAGE", value_source="body", body_data_type="json", key="commits.[0].message")
    hooks.value(integration, "DISTINCT", value_source="body", body_data_type="json", key="head_commit.distinct")
    hooks.value(integration, "DELIVERY", value_source="header", key="X-GitHub-Delivery")

    response = push(hooks, hooks.alias(integration))

    assert response.status_code == 200, response.get_json()
    [task] = hooks.tasks()
    assert response.get_json() == {"task_ids": [task["id"]]}
    assert task["integration_id"] == integration and task["user_id"] is None and task["status"] == "waiting"
    assert task["environment"] == {"REPOSITORY": "octo-org/web-app", "COMMIT": COMMIT_ID,
                                   "COMMIT_MESSAGE": COMMIT_MESSAGE, "DISTINCT": True,
                                   "DELIVERY": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}


@pytest.mark.parametrize("signature", ["wrong", "missing", "unprefixed", "other body"])
def test_a_bad_github_signature_starts_nothing_and_says_nothing(hooks, signature):
    alias = hooks.alias(hooks.github())
    body = encoded(github_push())
    headers = github_headers(body, SECRET)
    if signature == "wrong":
        headers["X-Hub-Signature-256"] = github_signature("not the secret", body)
    elif signature == "missing":
        del headers["X-Hub-Signature-256"]
    elif signature == "unprefixed":
        headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].removeprefix("sha256=")
    else:
        headers["X-Hub-Signature-256"] = github_signature(SECRET, body + b" ")

    response = hooks.send(alias, body, headers)

    assert (response.status_code, response.get_json()) == (401, NOT_AUTHENTICATED)
    assert hooks.tasks() == []


def test_an_unknown_alias_answers_exactly_like_a_bad_signature(hooks):
    alias = hooks.alias(hooks.github())
    unknown = push(hooks, "no-such-alias")
    bad = push(hooks, alias, secret="wrong")
    assert (unknown.status_code, unknown.get_data()) == (bad.status_code, bad.get_data())
    assert unknown.status_code == 401 and hooks.tasks() == []


@pytest.mark.parametrize("token, status", [("glpat-right-token", 200), ("glpat-wrong-token", 401), (None, 401)])
def test_a_gitlab_push_with_the_token_method(hooks, token, status):
    integration = hooks.integration("gitlab", auth_method="token", auth_header="X-Gitlab-Token",
                                    auth_secret_id=hooks.secret("glpat-right-token"))
    hooks.matcher(integration, match_type="body", body_data_type="json", key="object_kind", value="push")
    hooks.value(integration, "SHA", value_source="body", body_data_type="json", key="checkout_sha")
    hooks.value(integration, "PROJECT", value_source="body", body_data_type="json", key="project.path_with_namespace")

    response = hooks.send(hooks.alias(integration), encoded(gitlab_push()), gitlab_headers(token))

    assert response.status_code == status, response.get_json()
    if status == 200:
        [task] = hooks.tasks()
        assert task["environment"] == {"SHA": COMMIT_ID, "PROJECT": "group/api-server"}
    else:
        assert response.get_json() == NOT_AUTHENTICATED and hooks.tasks() == []


@pytest.mark.parametrize("signature, status", [("right", 200), ("wrong", 401), ("missing", 401)])
def test_hmac_of_the_body_in_a_configured_header(hooks, signature, status):
    integration = hooks.integration("hmac", auth_method="hmac", auth_header="X-Signature",
                                    auth_secret_id=hooks.secret())
    body = b'{"event": "deployed"}'
    headers = {"Content-Type": "application/json"}
    if signature != "missing":
        signed = github_signature(SECRET if signature == "right" else "other", body).removeprefix("sha256=")
        headers["X-Signature"] = signed.upper()  # hex digits in either case
    response = hooks.send(hooks.alias(integration), body, headers)
    assert response.status_code == status
    assert len(hooks.tasks()) == (1 if status == 200 else 0)


def test_no_authentication_fires_on_get_and_post_but_not_head(hooks):
    alias = hooks.alias(hooks.integration("open", auth_method="none"))
    assert hooks.send(alias, method="GET").status_code == 200
    assert hooks.send(alias, b"anything", {"Content-Type": "text/plain"}).status_code == 200
    assert hooks.send(alias, method="HEAD").status_code == 405
    assert len(hooks.tasks()) == 2


def test_a_stored_auth_method_no_plugin_provides_authenticates_nothing(app, hooks):
    integration = hooks.github()
    alias = hooks.alias(integration)
    execute(app, "UPDATE project__integration SET auth_method = 'uninstalled' WHERE id = :id", id=integration)
    assert push(hooks, alias).status_code == 401
    assert hooks.tasks() == []


# -- matchers --------------------------------------------------------------------------------------

def test_every_matcher_must_match(hooks):
    integration = hooks.github()
    hooks.matcher(integration, match_type="body", body_data_type="json", key="ref", value="refs/heads/main")
    hooks.matcher(integration, match_type="body", body_data_type="json", key="repository.full_name",
                  method="contains", value="web-app")
    hooks.matcher(integration, match_type="header", key="x-github-event", method="unequals", value="ping")
    alias = hooks.alias(integration)

    assert push(hooks, alias, payload=github_push(ref="refs/heads/feature")).get_json() == {"task_ids": []}
    assert push(hooks, alias, payload=github_push(full_name="octo-org/api")).get_json() == {"task_ids": []}
    body = encoded(github_push())
    ping = hooks.send(alias, body, github_headers(body, SECRET, event="ping"))
    assert ping.get_json() == {"task_ids": []}
    assert hooks.tasks() == []

    started = push(hooks, alias)
    assert started.status_code == 200 and len(started.get_json()["task_ids"]) == 1


def test_numbers_booleans_and_whole_bodies_compare_as_text(hooks):
    integration = hooks.integration("open")
    hooks.matcher(integration, match_type="body", body_data_type="json", key="size", value="3")
    hooks.matcher(integration, match_type="body", body_data_type="json", key="flags.[1]", value="true")
    hooks.matcher(integration, match_type="body", body_data_type="string", method="contains", value='"deploy"')
    alias = hooks.alias(integration)
    assert hooks.send(alias, b'{"size": 3.0, "flags": [false, true], "kind": "deploy"}').get_json()["task_ids"]
    assert hooks.send(alias, b'{"size": 3.5, "flags": [false, true], "kind": "deploy"}').get_json() == {"task_ids": []}


def test_malformed_json_or_a_missing_path_matches_nothing_not_even_unequals(hooks):
    integration = hooks.integration("open")
    hooks.matcher(integration, match_type="body", body_data_type="json", key="ref", method="unequals",
                  value="refs/heads/dev")
    alias = hooks.alias(integration)
    for body in (b"{not json", b'{"other": 1}', b"", b'{"ref": "refs/heads/main"'):
        response = hooks.send(alias, body, {"Content-Type": "application/json"})
        assert (response.status_code, response.get_json()) == (200, {"task_ids": []})
    assert hooks.tasks() == []
    assert hooks.send(alias, b'{"ref": "refs/heads/main"}').get_json()["task_ids"]


def test_an_integration_without_matchers_fires_on_every_authenticated_request(hooks):
    alias = hooks.alias(hooks.github())
    assert push(hooks, alias).status_code == 200
    assert push(hooks, alias, payload={"zen": "Keep it logically awesome."}).status_code == 200
    assert push(hooks, alias, secret="wrong").status_code == 401
    assert len(hooks.tasks()) == 2


# -- extracted values ------------------------------------------------------------------------------

def test_values_missing_from_the_request_stay_unset_and_task_params_are_the_base(hooks):
    integration = hooks.github(task_params={"environment": {"STAGE": "production", "COMMIT": "unknown"},
                                            "message": "Deploy on push"})
    hooks.value(integration, "COMMIT", value_source="body", body_data_type="json", key="after")
    hooks.value(integration, "TAG", value_source="body", body_data_type="json", key="release.tag_name")
    hooks.value(integration, "MISSING_HEADER", value_source="header", key="X-Not-Sent")
    hooks.value(integration, "PAYLOAD", value_source="body", body_data_type="string")
    payload = {"after": COMMIT_ID}

    assert push(hooks, hooks.alias(integration), payload=payload).status_code == 200

    [task] = hooks.tasks()
    assert task["environment"] == {"STAGE": "production", "COMMIT": COMMIT_ID, "PAYLOAD": json.dumps(payload)}
    assert task["message"] == "Deploy on push"


def test_a_task_that_cannot_start_is_skipped_and_the_others_start(app, hooks, admin_client, project):
    other = create_template(admin_client, project, name="Unrunnable")["id"]
    execute(app, "UPDATE project__template SET app = 'no-such-app' WHERE id = :id", id=other)
    broken = hooks.integration("broken", searchable=True, template_id=other)
    working = hooks.integration("working", searchable=True)
    response = hooks.send(hooks.alias(), b"{}")
    assert response.status_code == 200
    [task] = hooks.tasks()
    assert response.get_json() == {"task_ids": [task["id"]]} and task["integration_id"] == working != broken


# -- aliases ---------------------------------------------------------------------------------------

def test_a_project_alias_reaches_every_searchable_integration_each_with_the_same_body(hooks):
    first = hooks.github("first", searchable=True)
    second = hooks.github("second", searchable=True)
    hidden = hooks.github("hidden", searchable=False)
    other_secret = hooks.github("other secret", password="another secret", searchable=True)
    for integration in (first, second, hidden, other_secret):
        hooks.value(integration, "COMMIT", value_source="body", body_data_type="json", key="head_commit.id")

    response = push(hooks, hooks.alias())

    tasks = hooks.tasks()
    assert response.get_json() == {"task_ids": [task["id"] for task in tasks]}
    assert [task["integration_id"] for task in tasks] == [first, second]
    assert all(task["environment"] == {"COMMIT": COMMIT_ID} for task in tasks)

    # The integration that is not searchable is reached through its own alias only.
    assert push(hooks, hooks.alias(hidden)).status_code == 200
    assert hooks.tasks()[-1]["integration_id"] == hidden


def test_a_project_alias_reaches_nothing_of_other_projects(app, hooks, admin_client):
    other = create_task_project(app, admin_client, name="Other")
    other_template = create_template(admin_client, other)["id"]
    admin_client.post(f"/api/project/{other.id}/integrations",
                      json={"name": "theirs", "template_id": other_template, "searchable": True})
    hooks.integration("ours", searchable=True)
    assert hooks.send(hooks.alias()).status_code == 200
    assert [task["integration_id"] is not None for task in hooks.tasks()] == [True]
    assert query(app, "SELECT COUNT(*) FROM task WHERE project_id = :pid", pid=other.id)[0][0] == 0


def test_the_global_alias_reaches_every_searchable_integration_of_every_project(database_env, tmp_path):
    config = make_config(tmp_path, {**database_env, "SEMAPHORE_INTEGRATION_ALIAS": "all-of-them-Zq81"})
    app = build_app(config, script_executor=ScriptExecutorPlugin())
    try:
        create_user_row(app, "admin", admin=True)
        admin = log_in(app.test_client(), "admin")
        projects = [create_task_project(app, admin, name=name) for name in ("One", "Two")]
        hooks = [Hooks(app, admin, p.id, create_template(admin, p)["id"]) for p in projects]
        expected = [h.integration("open", searchable=True) for h in hooks]
        hooks[0].integration("hidden", searchable=False)

        response = hooks[0].send("all-of-them-Zq81", b"{}")

        assert response.status_code == 200
        assert [task["integration_id"] for task in hooks[0].tasks()] == expected
        assert hooks[0].send("all-of-them-zq81", b"{}").status_code == 401  # compared exactly
    finally:
        app.extensions["semaphore"].db.dispose()


def test_one_accepting_integration_is_enough_and_the_others_stay_silent(hooks):
    hooks.github("ours", searchable=True)
    hooks.github("theirs", password="their secret", searchable=True)
    alias = hooks.alias()
    assert push(hooks, alias, secret="their secret").status_code == 200
    assert push(hooks, alias, secret="nobody's").status_code == 401
    assert len(hooks.tasks()) == 1


# -- limits and logs -------------------------------------------------------------------------------

def test_a_body_over_the_limit_gets_413_and_starts_nothing(hooks):
    alias = hooks.alias(hooks.integration("open"))
    response = hooks.send(alias, b"x" * (MAX_WEBHOOK_BODY + 1), {"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert hooks.tasks() == []


def test_each_decision_is_logged_without_the_secret(hooks, caplog):
    integration = hooks.github()
    hooks.matcher(integration, name="main only", match_type="body", body_data_type="json", key="ref",
                  value="refs/heads/main")
    alias = hooks.alias(integration)
    with caplog.at_level(logging.INFO, logger="semaphore.services.webhooks"):
        push(hooks, alias, secret="wrong")
        push(hooks, alias, payload=github_push(ref="refs/heads/dev"))
        push(hooks, alias)
        push(hooks, "no-such-alias")
    text = caplog.text
    assert f"webhook {alias}: integration {integration} skipped: authentication failed" in text
    assert "does not match" in text and "main only" in text
    assert f"integration {integration} started task" in text
    assert "webhook no-such-alias: no integration has this alias" in text
    assert SECRET not in text
