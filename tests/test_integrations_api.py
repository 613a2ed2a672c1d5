"""Integrations (inbound webhook configuration) over the API, on every database."""

from __future__ import annotations

import re

import pytest

from semaphore import hookimpl
from semaphore.app import create_app
from semaphore.db.models import AccessKey, Repository, Template
from semaphore.interfaces import IntegrationAuth, IntegrationExtractor, IntegrationMatcher
from semaphore.plugins import Plugins
from semaphore.testing import create_user_row, log_in


def create_project(client, name="Demo"):
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def create_template(app, project_id, name="Deploy"):
    """A template row made directly: templates have their own API and tests."""
    with app.extensions["semaphore"].db.session() as db:
        key = AccessKey(name=f"{name} key", type="none", project_id=project_id)
        db.add(key)
        db.flush()
        repository = Repository(name=f"{name} repo", project_id=project_id, git_url="file:///srv/repo",
                                ssh_key_id=key.id)
        db.add(repository)
        db.flush()
        template = Template(project_id=project_id, name=name, repository_id=repository.id, playbook="site.yml")
        db.add(template)
        db.flush()
        return template.id


def create_secret(client, pid, name="webhook secret", password="s3cret-value"):
    response = client.post(f"/api/project/{pid}/keys", json={
        "name": name, "type": "login_password", "login_password": {"password": password}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def project(app, admin_client):
    pid = create_project(admin_client)
    return {"id": pid, "template_id": create_template(app, pid), "url": f"/api/project/{pid}/integrations"}


def create_integration(client, project, **fields):
    body = {"name": "push", "template_id": project["template_id"], **fields}
    response = client.post(project["url"], json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def project_events(client, pid):
    return client.get(f"/api/project/{pid}/events").get_json()


# -- integrations -------------------------------------------------------------------------------------

def test_integration_create_read_update_delete(admin_client, project):
    secret_id = create_secret(admin_client, project["id"])
    created = create_integration(admin_client, project, auth_method="token", auth_header="X-Token",
                                 auth_secret_id=secret_id, searchable=True, task_params={"debug": True})
    assert created == {"id": created["id"], "name": "push", "project_id": project["id"],
                       "template_id": project["template_id"], "auth_method": "token", "auth_secret_id": secret_id,
                       "auth_header": "X-Token", "searchable": True, "task_params": {"debug": True}}
    item = f"{project['url']}/{created['id']}"
    assert admin_client.get(item).get_json() == created
    assert admin_client.get(project["url"]).get_json() == [created]

    other_template = create_template(admin_client.application, project["id"], "Other")
    response = admin_client.put(item, json={"name": "release", "template_id": other_template, "auth_method": "hmac",
                                            "auth_header": "X-Signature", "auth_secret_id": secret_id,
                                            "searchable": False, "task_params": '{"limit": "web"}'})
    assert response.status_code == 204, response.get_json()
    updated = admin_client.get(item).get_json()
    assert updated["name"] == "release" and updated["template_id"] == other_template
    assert (updated["auth_method"], updated["auth_header"], updated["searchable"]) == ("hmac", "X-Signature", False)
    assert updated["task_params"] == {"limit": "web"}  # the original forgets task_params on update

    assert admin_client.get(f"{item}/refs").get_json() == {}
    assert admin_client.delete(item).status_code == 204
    assert admin_client.get(item).status_code == 404
    assert admin_client.get(project["url"]).get_json() == []


def test_none_is_accepted_as_no_authentication(admin_client, project):
    created = create_integration(admin_client, project, auth_method="none")
    assert created["auth_method"] == ""
    assert created["task_params"] is None and created["auth_secret_id"] is None


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"),
    ({"template_id": None}, "template_id"),
    ({"template_id": 0}, "template_id"),
    ({"template_id": 999999}, "template_id"),
    ({"auth_method": "basic"}, "auth_method"),
    ({"auth_method": "token", "auth_header": "X-Token"}, "auth_secret_id"),
    ({"auth_method": "token", "auth_secret_id": "SECRET"}, "auth_header"),
    ({"auth_method": "hmac", "auth_secret_id": "SECRET"}, "auth_header"),
    ({"auth_method": "github"}, "auth_secret_id"),
    ({"auth_method": "github", "auth_secret_id": "NONE_KEY"}, "auth_secret_id"),
    ({"auth_method": "github", "auth_secret_id": 999999}, "auth_secret_id"),
    ({"auth_header": "X Token"}, "auth_header"),
    ({"task_params": "[1, 2]"}, "task_params"),
    ({"task_params": "{not json"}, "task_params"),
    ({"searchable": "perhaps"}, "searchable"),
])
def test_bad_integration_names_the_field_and_writes_nothing(admin_client, project, fields, field):
    pid = project["id"]
    secret_id = create_secret(admin_client, pid)
    none_key = admin_client.get(f"/api/project/{pid}/keys").get_json()[0]
    assert none_key["type"] == "none"
    substitutes = {"SECRET": secret_id, "NONE_KEY": none_key["id"]}
    fields = {name: substitutes.get(value, value) if isinstance(value, str) else value
              for name, value in fields.items()}
    existing = create_integration(admin_client, project)
    events_before = project_events(admin_client, pid)

    body = {"name": "hook", "template_id": project["template_id"], **fields}
    for method, url in (("post", project["url"]), ("put", f"{project['url']}/{existing['id']}")):
        response = getattr(admin_client, method)(url, json=body)
        assert response.status_code == 400, (method, response.get_json())
        error = response.get_json()
        assert error["field"] == field and error["error"].startswith(f"{field}: ")

    assert admin_client.get(project["url"]).get_json() == [existing]
    assert project_events(admin_client, pid) == events_before


def test_templates_and_keys_of_other_projects_are_refused(app, admin_client, project):
    other = create_project(admin_client, "Other")
    foreign_template = create_template(app, other, "Foreign")
    foreign_key = create_secret(admin_client, other)
    response = admin_client.post(project["url"], json={"name": "x", "template_id": foreign_template})
    assert response.status_code == 400 and response.get_json()["field"] == "template_id"
    response = admin_client.post(project["url"], json={"name": "x", "template_id": project["template_id"],
                                                       "auth_method": "github", "auth_secret_id": foreign_key})
    assert response.status_code == 400 and response.get_json()["field"] == "auth_secret_id"
    integration = create_integration(admin_client, project)
    assert admin_client.get(f"/api/project/{other}/integrations/{integration['id']}").status_code == 404


def test_unknown_auth_method_lists_what_is_installed(admin_client, project):
    response = admin_client.post(project["url"], json={"name": "x", "template_id": project["template_id"],
                                                       "auth_method": "bitbucket"})
    assert response.status_code == 400
    message = response.get_json()["error"]
    assert "bitbucket" in message
    for method in ("''", "'github'", "'hmac'", "'token'"):
        assert method in message


def test_secret_key_in_use_by_an_integration_cannot_be_deleted(admin_client, project):
    secret_id = create_secret(admin_client, project["id"])
    integration = create_integration(admin_client, project, auth_method="github", auth_secret_id=secret_id)
    response = admin_client.delete(f"/api/project/{project['id']}/keys/{secret_id}")
    assert response.status_code == 409
    assert response.get_json()["refs"]["integrations"] == [{"id": integration["id"], "name": "push"}]


def test_no_secret_in_any_integration_response(admin_client, project):
    secret_id = create_secret(admin_client, project["id"], password="do-not-show-me")
    integration = create_integration(admin_client, project, auth_method="github", auth_secret_id=secret_id)
    for url in (project["url"], f"{project['url']}/{integration['id']}", f"/api/project/{project['id']}/events"):
        assert "do-not-show-me" not in admin_client.get(url).get_data(as_text=True)


# -- permissions ----------------------------------------------------------------------------------------

def test_reads_need_membership_and_writes_manage_resources(app, admin_client, project):
    pid = project["id"]
    integration = create_integration(admin_client, project)
    item = f"{project['url']}/{integration['id']}"
    for name, role in (("guest", "guest"), ("runner", "task_runner"), ("manager", "manager")):
        user_id = create_user_row(app, name)
        response = admin_client.post(f"/api/project/{pid}/users", json={"user_id": user_id, "role": role})
        assert response.status_code == 204
    create_user_row(app, "stranger")

    stranger = log_in(app.test_client(), "stranger")
    for url in (project["url"], item, f"{item}/matchers", f"{item}/values", f"{item}/aliases",
                f"{project['url']}/aliases"):
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"{item}/aliases").status_code == 404
    # Refused before the body is read: outsiders learn nothing from validation messages.
    assert stranger.post(f"{item}/matchers", json={}).status_code == 404
    assert stranger.put(f"{item}/values/1", json=[]).status_code == 404
    assert app.test_client().post(f"{item}/matchers", json={}).status_code == 401

    body = {"name": "x", "template_id": project["template_id"]}
    matcher = {"name": "m", "match_type": "header", "key": "X-Event", "value": "push"}
    for name in ("guest", "runner"):
        client = log_in(app.test_client(), name)
        assert client.get(project["url"]).status_code == 200
        assert client.get(f"{item}/matchers").status_code == 200
        assert client.post(project["url"], json=body).status_code == 403
        assert client.put(item, json=body).status_code == 403
        assert client.delete(item).status_code == 403
        assert client.post(f"{item}/matchers", json=matcher).status_code == 403
        assert client.post(f"{item}/aliases").status_code == 403
        assert client.post(f"{project['url']}/aliases").status_code == 403

    manager = log_in(app.test_client(), "manager")
    assert manager.post(project["url"], json=body).status_code == 201
    assert manager.post(f"{item}/matchers", json=matcher).status_code == 201
    assert manager.post(f"{item}/aliases").status_code == 201
    assert app.test_client().get(project["url"]).status_code == 401


# -- matchers and extracted values --------------------------------------------------------------------

def test_matcher_create_read_update_delete(admin_client, project):
    integration = create_integration(admin_client, project)
    base = f"{project['url']}/{integration['id']}/matchers"
    response = admin_client.post(base, json={"name": "push to main", "match_type": "body", "method": "equals",
                                             "body_data_type": "json", "key": "ref", "value": "refs/heads/main"})
    assert response.status_code == 201, response.get_json()
    matcher = response.get_json()
    assert matcher == {"id": matcher["id"], "integration_id": integration["id"], "name": "push to main",
                       "match_type": "body", "method": "equals", "body_data_type": "json", "key": "ref",
                       "value": "refs/heads/main"}
    assert admin_client.get(base).get_json() == [matcher]
    item = f"{base}/{matcher['id']}"
    response = admin_client.put(item, json={"name": "github push", "match_type": "header", "method": "contains",
                                            "key": "X-GitHub-Event", "value": "push",
                                            "integration_id": integration["id"]})
    assert response.status_code == 204, response.get_json()
    assert admin_client.get(item).get_json() == {
        "id": matcher["id"], "integration_id": integration["id"], "name": "github push", "match_type": "header",
        "method": "contains", "body_data_type": "", "key": "X-GitHub-Event", "value": "push"}
    assert admin_client.get(f"{item}/refs").get_json() == {}
    assert admin_client.delete(item).status_code == 204
    assert admin_client.get(item).status_code == 404


def test_whole_body_matcher_needs_no_key(admin_client, project):
    integration = create_integration(admin_client, project)
    response = admin_client.post(f"{project['url']}/{integration['id']}/matchers", json={
        "name": "ping", "match_type": "body", "body_data_type": "string", "method": "contains", "value": "ping"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["key"] == ""


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"),
    ({"match_type": None}, "match_type"),
    ({"match_type": "query"}, "match_type"),
    ({"method": "matches"}, "method"),
    ({"match_type": "body", "key": "ref"}, "body_data_type"),
    ({"match_type": "body", "body_data_type": "xml", "key": "ref"}, "body_data_type"),
    ({"match_type": "body", "body_data_type": "json", "key": ""}, "key"),
    ({"match_type": "header", "key": ""}, "key"),
    ({"integration_id": "OTHER"}, "integration_id"),
])
def test_bad_matcher_names_the_field_and_writes_nothing(admin_client, project, fields, field):
    integration = create_integration(admin_client, project)
    other = create_integration(admin_client, project)
    fields = {name: other["id"] if value == "OTHER" else value for name, value in fields.items()}
    base = f"{project['url']}/{integration['id']}/matchers"
    existing = admin_client.post(base, json={"name": "m", "match_type": "header", "key": "X-Event"}).get_json()
    events_before = project_events(admin_client, project["id"])

    body = {"name": "m2", "match_type": "header", "key": "X-Event", "value": "push", **fields}
    for method, url in (("post", base), ("put", f"{base}/{existing['id']}")):
        response = getattr(admin_client, method)(url, json=body)
        assert response.status_code == 400, (method, response.get_json())
        assert response.get_json()["field"] == field
        assert response.get_json()["error"].startswith(f"{field}: ")
    assert admin_client.get(base).get_json() == [existing]
    assert project_events(admin_client, project["id"]) == events_before


def test_unknown_match_type_and_value_source_list_what_is_installed(admin_client, project):
    integration = create_integration(admin_client, project)
    item = f"{project['url']}/{integration['id']}"
    response = admin_client.post(f"{item}/matchers", json={"name": "m", "match_type": "query", "key": "k"})
    assert response.status_code == 400
    assert "available: 'body', 'header'" in response.get_json()["error"]
    response = admin_client.post(f"{item}/values", json={"name": "v", "value_source": "cookie", "key": "k",
                                                         "variable": "X"})
    assert response.status_code == 400 and response.get_json()["field"] == "value_source"
    assert "available: 'body', 'header'" in response.get_json()["error"]


def test_extract_value_create_read_update_delete(admin_client, project):
    integration = create_integration(admin_client, project)
    base = f"{project['url']}/{integration['id']}/values"
    response = admin_client.post(base, json={"name": "branch", "value_source": "body", "body_data_type": "json",
                                             "key": "ref", "variable": "GIT_REF"})
    assert response.status_code == 201, response.get_json()
    value = response.get_json()
    assert value == {"id": value["id"], "integration_id": integration["id"], "name": "branch",
                     "value_source": "body", "body_data_type": "json", "key": "ref", "variable": "GIT_REF"}
    item = f"{base}/{value['id']}"
    response = admin_client.put(item, json={"name": "delivery", "value_source": "header",
                                            "key": "X-GitHub-Delivery", "variable": "delivery_id"})
    assert response.status_code == 204, response.get_json()
    assert admin_client.get(base).get_json() == [{
        "id": value["id"], "integration_id": integration["id"], "name": "delivery", "value_source": "header",
        "body_data_type": "", "key": "X-GitHub-Delivery", "variable": "delivery_id"}]
    assert admin_client.delete(item).status_code == 204
    assert admin_client.get(base).get_json() == []


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"),
    ({"value_source": "cookie"}, "value_source"),
    ({"value_source": "body", "key": "ref"}, "body_data_type"),
    ({"value_source": "body", "body_data_type": "json", "key": ""}, "key"),
    ({"value_source": "header", "key": ""}, "key"),
    ({"variable": ""}, "variable"),
    ({"variable": "1ST"}, "variable"),
    ({"variable": "GIT-REF"}, "variable"),
])
def test_bad_extract_value_names_the_field_and_writes_nothing(admin_client, project, fields, field):
    integration = create_integration(admin_client, project)
    base = f"{project['url']}/{integration['id']}/values"
    body = {"name": "v", "value_source": "header", "key": "X-Ref", "variable": "REF", **fields}
    response = admin_client.post(base, json=body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == field
    assert admin_client.get(base).get_json() == []


def test_parts_belong_to_their_integration(admin_client, project):
    first = create_integration(admin_client, project)
    second = create_integration(admin_client, project)
    matcher = admin_client.post(f"{project['url']}/{first['id']}/matchers",
                                json={"name": "m", "match_type": "header", "key": "X-Event"}).get_json()
    wrong = f"{project['url']}/{second['id']}/matchers/{matcher['id']}"
    assert admin_client.get(wrong).status_code == 404
    assert admin_client.delete(wrong).status_code == 404
    assert admin_client.get(f"{project['url']}/{second['id']}/matchers").get_json() == []
    assert admin_client.get(f"{project['url']}/999999/matchers").status_code == 404


def test_deleting_an_integration_deletes_its_parts(admin_client, project):
    integration = create_integration(admin_client, project)
    item = f"{project['url']}/{integration['id']}"
    admin_client.post(f"{item}/matchers", json={"name": "m", "match_type": "header", "key": "X-Event"})
    admin_client.post(f"{item}/values", json={"name": "v", "value_source": "header", "key": "X", "variable": "X"})
    admin_client.post(f"{item}/aliases")
    assert admin_client.delete(item).status_code == 204
    assert admin_client.get(f"{item}/matchers").status_code == 404
    fresh = create_integration(admin_client, project)
    assert admin_client.get(f"{project['url']}/{fresh['id']}/aliases").get_json() == []


# -- aliases ----------------------------------------------------------------------------------------------

def test_aliases_are_random_unique_and_scoped(admin_client, project):
    integration = create_integration(admin_client, project)
    project_aliases = f"{project['url']}/aliases"
    integration_aliases = f"{project['url']}/{integration['id']}/aliases"

    made = []
    for url in (project_aliases, project_aliases, integration_aliases, integration_aliases):
        response = admin_client.post(url)
        assert response.status_code == 201, response.get_json()
        made.append(response.get_json())
    for alias in made:
        assert set(alias) == {"id", "alias", "url"}
        assert re.fullmatch(r"[a-z0-9]{16}", alias["alias"])
        assert alias["url"] == f"http://localhost/api/integrations/{alias['alias']}"
    assert len({alias["alias"] for alias in made}) == 4

    assert admin_client.get(project_aliases).get_json() == made[:2]
    assert admin_client.get(integration_aliases).get_json() == made[2:]

    # An alias is deleted only through the scope it belongs to.
    assert admin_client.delete(f"{project_aliases}/{made[2]['id']}").status_code == 404
    assert admin_client.delete(f"{integration_aliases}/{made[0]['id']}").status_code == 404
    assert admin_client.delete(f"{project_aliases}/{made[0]['id']}").status_code == 204
    assert admin_client.delete(f"{integration_aliases}/{made[2]['id']}").status_code == 204
    assert admin_client.get(project_aliases).get_json() == [made[1]]
    assert admin_client.get(integration_aliases).get_json() == [made[3]]

    other = create_project(admin_client, "Other")
    assert admin_client.delete(f"/api/project/{other}/integrations/aliases/{made[1]['id']}").status_code == 404


def test_alias_urls_use_the_request_host_or_web_host(app, admin_client, project):
    url = f"{project['url']}/aliases"
    token = admin_client.post("/api/user/tokens").get_json()["id"]
    headers = {"Authorization": f"Bearer {token}"}
    alias = app.test_client().post(url, base_url="https://ci.example.test:8443", headers=headers).get_json()
    assert alias["url"] == f"https://ci.example.test:8443/api/integrations/{alias['alias']}"
    app.extensions["semaphore"].config.web_host = "https://semaphore.example.test/ui/"
    listed = admin_client.get(url).get_json()
    assert listed == [{**alias, "url": f"https://semaphore.example.test/ui/api/integrations/{alias['alias']}"}]


# -- activity events ---------------------------------------------------------------------------------------

def test_every_integration_change_writes_an_event(admin_client, project):
    pid = project["id"]
    before = {event["id"] for event in project_events(admin_client, pid)}
    integration = create_integration(admin_client, project)
    item = f"{project['url']}/{integration['id']}"
    admin_client.put(item, json={"name": "push2", "template_id": project["template_id"]})
    matcher = admin_client.post(f"{item}/matchers", json={"name": "m", "match_type": "header", "key": "X"}).get_json()
    admin_client.put(f"{item}/matchers/{matcher['id']}", json={"name": "m2", "match_type": "header", "key": "Y"})
    admin_client.delete(f"{item}/matchers/{matcher['id']}")
    value = admin_client.post(f"{item}/values", json={"name": "v", "value_source": "header", "key": "X",
                                                      "variable": "X"}).get_json()
    admin_client.put(f"{item}/values/{value['id']}", json={"name": "v2", "value_source": "header", "key": "X",
                                                           "variable": "X"})
    admin_client.delete(f"{item}/values/{value['id']}")
    alias = admin_client.post(f"{item}/aliases").get_json()
    admin_client.delete(f"{item}/aliases/{alias['id']}")
    project_alias = admin_client.post(f"{project['url']}/aliases").get_json()
    admin_client.delete(f"{project['url']}/aliases/{project_alias['id']}")
    assert admin_client.delete(item).status_code == 204

    new = [event for event in reversed(project_events(admin_client, pid)) if event["id"] not in before]
    assert [(e["object_type"], e["action"], e["object_name"]) for e in new] == [
        ("integration", "create", "push"),
        ("integration", "update", "push2"),
        ("integrationmatcher", "create", "m"),
        ("integrationmatcher", "update", "m2"),
        ("integrationmatcher", "delete", "m2"),
        ("integrationextractvalue", "create", "v"),
        ("integrationextractvalue", "update", "v2"),
        ("integrationextractvalue", "delete", "v2"),
        ("integrationalias", "create", alias["alias"]),
        ("integrationalias", "delete", alias["alias"]),
        ("integrationalias", "create", project_alias["alias"]),
        ("integrationalias", "delete", project_alias["alias"]),
        ("integration", "delete", "push2"),
    ]
    assert all(e["username"] == "admin" and e["project_id"] == pid for e in new)
    assert new[0]["object_id"] == integration["id"] and new[0]["description"] == "Integration push created"
    assert new[2]["description"] == "Integration Matcher m of integration push2 created"


# -- components from plugins --------------------------------------------------------------------------------

class QueryAuth(IntegrationAuth):
    auth_method = "query_token"
    requires_secret = True

    def verify(self, request, secret, header):
        return False


class MethodMatcher(IntegrationMatcher):
    match_type = "http_method"

    def value(self, request, key, body_data_type):
        return request.method


class MethodExtractor(IntegrationExtractor):
    value_source = "http_method"

    def extract(self, request, key, body_data_type):
        return request.method


class WebhookPlugin:
    @hookimpl
    def register_integration_auth(self, register):
        register(QueryAuth())

    @hookimpl
    def register_integration_matchers(self, register):
        register(MethodMatcher())

    @hookimpl
    def register_integration_extractors(self, register):
        register(MethodExtractor())


@pytest.fixture
def plugin_client(config):
    plugins = Plugins(strict=True)
    plugins.register_builtins()
    plugins.register(WebhookPlugin(), "webhook_extras")
    application = create_app(config, plugins=plugins)
    create_user_row(application, "admin", admin=True)
    yield log_in(application.test_client(), "admin")
    application.extensions["semaphore"].db.dispose()


def test_choices_come_from_the_installed_plugins(plugin_client):
    pid = create_project(plugin_client)
    project = {"id": pid, "template_id": create_template(plugin_client.application, pid),
               "url": f"/api/project/{pid}/integrations"}
    response = plugin_client.post(project["url"], json={"name": "x", "template_id": project["template_id"],
                                                        "auth_method": "query_token"})
    assert response.status_code == 400 and response.get_json()["field"] == "auth_secret_id"
    response = plugin_client.post(project["url"], json={"name": "x", "template_id": project["template_id"],
                                                        "auth_method": "nope"})
    assert "'query_token'" in response.get_json()["error"]

    integration = create_integration(plugin_client, project, auth_method="query_token",
                                     auth_secret_id=create_secret(plugin_client, pid))
    item = f"{project['url']}/{integration['id']}"
    response = plugin_client.post(f"{item}/matchers", json={"name": "posts", "match_type": "http_method",
                                                            "key": "method", "value": "POST"})
    assert response.status_code == 201, response.get_json()
    response = plugin_client.post(f"{item}/values", json={"name": "verb", "value_source": "http_method",
                                                          "key": "method", "variable": "VERB"})
    assert response.status_code == 201, response.get_json()
    response = plugin_client.post(f"{item}/matchers", json={"name": "m", "match_type": "nope", "key": "k"})
    assert "available: 'body', 'header', 'http_method'" in response.get_json()["error"]
