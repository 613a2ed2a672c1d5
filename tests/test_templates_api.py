"""Templates over the API, on every database."""

from __future__ import annotations

import pytest
from task_helpers import (
    assert_refused,
    create_project,
    create_template,
    events,
    member_client,
    query,
    run_task,
    set_task_status,
)

from semaphore.db.models import Integration, Schedule
from semaphore.testing import make_config


@pytest.fixture
def config(database_env, tmp_path):
    return make_config(tmp_path, {**database_env, "SEMAPHORE_APPS": '{"custom-tool": {"title": "Custom"}}'})


@pytest.fixture
def app(script_app):
    return script_app


def template_count(app, project):
    return query(app, "SELECT COUNT(*) FROM project__template WHERE project_id = :pid", pid=project.id)[0][0]


def test_every_field_round_trips(app, admin_client, project):
    body = {
        "name": "Full", "app": "bash", "type": "", "playbook": "run.sh", "description": "all fields",
        "inventory_id": project.inventory_id, "repository_id": project.repository_id,
        "environment_id": project.environment_id, "view_id": project.view_id, "arguments": '["--verbose"]',
        "allow_override_args_in_task": True, "allow_override_branch_in_task": True, "allow_parallel_tasks": True,
        "git_branch": "release", "suppress_success_alerts": True, "runner_tag": "linux",
        "task_params": {"allow_debug": True},
        "survey_vars": [
            {"name": "region", "title": "Region", "required": True, "type": "enum", "description": "where",
             "values": [{"name": "Europe", "value": "eu"}, {"name": "Asia", "value": "ap"}], "default_value": "eu"},
            {"name": "token", "title": "Token", "type": "secret"},
        ],
        "vaults": [{"vault_key_id": project.vault_key_id, "name": None},
                   {"vault_key_id": project.vault_key_id, "name": "prod"},
                   {"type": "script", "script": "bin/vault-client.sh", "name": "ci"}],
    }
    created = create_template(admin_client, project, **body)
    fetched = admin_client.get(f"{project.url}/templates/{created['id']}").get_json()
    assert fetched == created
    for name, value in body.items():
        if name not in ("survey_vars", "vaults"):
            assert fetched[name] == value, name
    assert fetched["project_id"] == project.id and fetched["last_task"] is None and fetched["tasks"] == 0
    assert fetched["survey_vars"][0] == body["survey_vars"][0]
    assert fetched["survey_vars"][1] == {"name": "token", "title": "Token", "required": False, "type": "secret",
                                         "description": "", "values": [], "default_value": ""}
    assert [(v["type"], v["vault_key_id"], v["name"], v["script"]) for v in fetched["vaults"]] == [
        ("password", project.vault_key_id, None, None), ("password", project.vault_key_id, "prod", None),
        ("script", None, "ci", "bin/vault-client.sh")]
    assert all(v["template_id"] == created["id"] and v["project_id"] == project.id for v in fetched["vaults"])
    assert events(app, project.id)[-1] == "Template Full created"


def test_defaults_and_json_text_forms(admin_client, project):
    template = create_template(admin_client, project, survey_vars='[{"name": "x"}]', task_params="{}",
                               arguments="", git_branch="", start_version="")
    assert template["app"] == "bash" and template["type"] == ""
    assert template["survey_vars"][0]["name"] == "x"
    assert template["task_params"] == {} and template["arguments"] is None
    assert template["git_branch"] is None and template["start_version"] is None and template["vaults"] == []


BAD_TEMPLATES = [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"repository_id": None}, "repository_id"),
    ({"repository_id": 999999}, "repository_id"),
    ({"inventory_id": 999999}, "inventory_id"),
    ({"environment_id": 999999}, "environment_id"),
    ({"view_id": 999999}, "view_id"),
    ({"type": "nightly"}, "type"),
    ({"app": "cobol"}, "app"),
    ({"playbook": ""}, "playbook"),
    ({"playbook": "setup.exe"}, "playbook"),
    ({"arguments": "--verbose"}, "arguments"),
    ({"arguments": "[1, 2]"}, "arguments"),
    ({"arguments": '{"a": 1}'}, "arguments"),
    ({"start_version": "1.0.0"}, "start_version"),
    ({"type": "build", "start_version": "latest"}, "start_version"),
    ({"autorun": True}, "autorun"),
    ({"type": "build", "autorun": True}, "autorun"),
    ({"type": "deploy"}, "build_template_id"),
    ({"build_template_id": "BUILD"}, "build_template_id"),
    ({"survey_vars": [{"name": "two words"}]}, "survey_vars.0.name"),
    ({"survey_vars": [{"name": "ok"}, {"name": "1st"}]}, "survey_vars.1.name"),
    ({"survey_vars": [{"name": "choice", "type": "enum"}]}, "survey_vars.0.values"),
    ({"survey_vars": [{"name": "n", "type": "float"}]}, "survey_vars.0.type"),
    ({"survey_vars": "not json"}, "survey_vars"),
    ({"task_params": [1]}, "task_params"),
    ({"vaults": [{"vault_key_id": "SSH"}]}, "vaults.0.vault_key_id"),
    ({"vaults": [{"vault_key_id": 999999}]}, "vaults.0.vault_key_id"),
    ({"vaults": [{"vault_key_id": "VAULT"}, {"vault_key_id": "VAULT", "name": "default"}]}, "vaults.1.name"),
    ({"vaults": [{"type": "script"}]}, "vaults.0.script"),
    ({"vaults": [{"type": "script", "script": "../vault-client.sh"}]}, "vaults.0.script"),
    ({"vaults": [{"type": "script", "script": "vault.sh", "vault_key_id": "VAULT"}]}, "vaults.0.vault_key_id"),
    ({"vaults": [{"type": "password"}]}, "vaults.0.vault_key_id"),
    ({"vaults": [{"vault_key_id": "VAULT", "script": "vault.sh"}]}, "vaults.0.script"),
    ({"vaults": [{"type": "file", "script": "vault.sh"}]}, "vaults.0.type"),
    ({"project_id": 999999}, "project_id"),
]


def test_bad_template_names_the_field_and_writes_nothing(app, admin_client, project):
    build = create_template(admin_client, project, name="Build", type="build", start_version="1.0")
    refs = {"BUILD": build["id"], "SSH": project.ssh_key_id, "VAULT": project.vault_key_id}

    def resolve(value):
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return refs.get(value, value) if isinstance(value, str) else value

    before = template_count(app, project)
    before_events = events(app, project.id)
    for change, field in BAD_TEMPLATES:
        body = {"name": "T", "app": "bash", "playbook": "x.sh", "repository_id": project.repository_id,
                **resolve(change)}
        error = assert_refused(admin_client, "POST", f"{project.url}/templates", body, field)
        if field == "app":
            assert "bash" in error["error"] and "ansible" in error["error"] and "custom-tool" in error["error"]
        # The same body is refused on update, and the template is left as it was.
        assert_refused(admin_client, "PUT", f"{project.url}/templates/{build['id']}", body, field)
    # An update may keep only the template's own vaults (a new template ignores vault ids: it is a copy).
    assert_refused(admin_client, "PUT", f"{project.url}/templates/{build['id']}", {
        "name": "T", "app": "bash", "playbook": "x.sh", "repository_id": project.repository_id,
        "vaults": [{"vault_key_id": project.vault_key_id, "id": 12345}]}, "vaults.0.id")
    assert template_count(app, project) == before
    assert events(app, project.id) == before_events
    assert admin_client.get(f"{project.url}/templates/{build['id']}").get_json() == build


def test_ids_of_another_project_are_refused(app, admin_client, project):
    other = create_project(app, admin_client, "Other")
    other_build = create_template(admin_client, other, name="Other build", type="build")
    base = {"name": "T", "app": "bash", "playbook": "x.sh", "repository_id": project.repository_id}
    url = f"{project.url}/templates"
    for field, value in (("repository_id", other.repository_id), ("inventory_id", other.inventory_id),
                         ("environment_id", other.environment_id), ("view_id", other.view_id)):
        assert_refused(admin_client, "POST", url, {**base, field: value}, field)
    assert_refused(admin_client, "POST", url, {**base, "type": "deploy", "build_template_id": other_build["id"]},
                   "build_template_id")
    assert_refused(admin_client, "POST", url, {**base, "vaults": [{"vault_key_id": other.vault_key_id}]},
                   "vaults.0.vault_key_id")
    assert admin_client.get(f"{project.url}/templates/{other_build['id']}").status_code == 404
    assert admin_client.get(f"{project.url}/templates").get_json() == []


def test_apps_without_an_executor_are_accepted_when_known_or_configured(admin_client, project):
    terraform = create_template(admin_client, project, app="terraform", playbook="")
    custom = create_template(admin_client, project, app="custom-tool", playbook="")
    assert (terraform["app"], custom["app"]) == ("terraform", "custom-tool")
    response = admin_client.post(f"{project.url}/templates", json={"name": "T", "repository_id": project.repository_id})
    assert response.status_code == 201 and response.get_json()["app"] == "ansible"


def test_build_and_deploy_rules(admin_client, project):
    url = f"{project.url}/templates"
    build = create_template(admin_client, project, name="Build", type="build", start_version="v2-rc")
    plain = create_template(admin_client, project, name="Plain")
    assert_refused(admin_client, "POST", url, {"name": "D", "app": "bash", "playbook": "d.sh",
                                               "repository_id": project.repository_id, "type": "deploy",
                                               "build_template_id": plain["id"]}, "build_template_id")
    deploy = create_template(admin_client, project, name="Deploy", type="deploy", build_template_id=build["id"],
                             autorun=True)
    assert (deploy["build_template_id"], deploy["autorun"]) == (build["id"], True)
    # A template cannot build itself, and a build template in use cannot stop being one.
    assert_refused(admin_client, "PUT", f"{url}/{deploy['id']}",
                   {**deploy, "build_template_id": deploy["id"]}, "build_template_id")
    assert_refused(admin_client, "PUT", f"{url}/{build['id']}", {**build, "type": "", "start_version": None}, "type")


def test_put_replaces_the_template_and_its_vaults(app, admin_client, project):
    with app.extensions["semaphore"].db.session() as db:
        from semaphore.db.models import AccessKey

        second_key = AccessKey(name="vault 2", type="login_password", project_id=project.id)
        db.add(second_key)
        db.flush()
        second_key_id = second_key.id
    template = create_template(admin_client, project, survey_vars=[{"name": "a"}], vaults=[
        {"vault_key_id": project.vault_key_id, "name": "one"}, {"vault_key_id": project.vault_key_id, "name": "two"}])
    one, two = template["vaults"]
    body = {"id": template["id"], "project_id": project.id, "name": "Renamed", "app": "bash", "playbook": "new.sh",
            "repository_id": project.repository_id,
            "vaults": [{"id": one["id"], "vault_key_id": project.vault_key_id, "name": "one"},
                       {"id": two["id"], "vault_key_id": second_key_id, "name": "two"},
                       {"vault_key_id": second_key_id, "name": "three"}]}
    response = admin_client.put(f"{project.url}/templates/{template['id']}", json=body)
    assert response.status_code == 204, response.get_json()
    updated = admin_client.get(f"{project.url}/templates/{template['id']}").get_json()
    assert (updated["name"], updated["playbook"], updated["survey_vars"]) == ("Renamed", "new.sh", [])
    vaults = {v["name"]: v for v in updated["vaults"]}
    assert set(vaults) == {"one", "two", "three"}
    assert vaults["one"]["id"] == one["id"]  # unchanged rows keep their id
    assert vaults["two"]["vault_key_id"] == second_key_id
    response = admin_client.put(f"{project.url}/templates/{template['id']}", json={**body, "vaults": []})
    assert response.status_code == 204
    assert admin_client.get(f"{project.url}/templates/{template['id']}").get_json()["vaults"] == []
    assert query(app, "SELECT COUNT(*) FROM project__template_vault")[0][0] == 0
    assert_refused(admin_client, "PUT", f"{project.url}/templates/{template['id']}", {**body, "id": 424242}, "id")
    assert events(app, project.id)[-1] == "Template Renamed updated"


def test_delete_is_refused_while_deploy_templates_build_from_it(app, admin_client, project):
    build = create_template(admin_client, project, name="Build", type="build", start_version="1")
    deploy = create_template(admin_client, project, name="Deploy", type="deploy", build_template_id=build["id"])
    response = admin_client.delete(f"{project.url}/templates/{build['id']}")
    assert response.status_code == 409
    assert response.get_json()["inUse"] is True
    assert response.get_json()["refs"] == {"templates": [{"id": deploy["id"], "name": "Deploy"}]}
    refs = admin_client.get(f"{project.url}/templates/{build['id']}/refs").get_json()
    assert refs["templates"] == [{"id": deploy["id"], "name": "Deploy"}]
    assert admin_client.delete(f"{project.url}/templates/{deploy['id']}").status_code == 204
    assert admin_client.delete(f"{project.url}/templates/{build['id']}").status_code == 204
    assert admin_client.get(f"{project.url}/templates/{build['id']}").status_code == 404
    assert events(app, project.id)[-1] == "Template Build deleted"


def test_delete_takes_tasks_schedules_and_integrations_along(app, admin_client, project):
    template = create_template(admin_client, project)
    first = run_task(admin_client, project, template["id"])
    set_task_status(app, first["id"], "success")
    run_task(admin_client, project, template["id"])
    with app.extensions["semaphore"].db.session() as db:
        db.add(Schedule(project_id=project.id, template_id=template["id"], cron_format="* * * * *", name="nightly"))
        db.add(Integration(project_id=project.id, template_id=template["id"], name="push"))
    refs = admin_client.get(f"{project.url}/templates/{template['id']}/refs").get_json()
    assert [r["name"] for r in refs["schedules"]] == ["nightly"]
    assert [r["name"] for r in refs["integrations"]] == ["push"]
    assert refs["templates"] == []
    assert admin_client.delete(f"{project.url}/templates/{template['id']}").status_code == 204
    for table in ("task", "project__schedule", "project__integration", "project__template_vault"):
        assert query(app, f"SELECT COUNT(*) FROM {table}")[0][0] == 0, table


def test_last_task_and_template_task_lists(app, admin_client, project):
    template = create_template(admin_client, project)
    other = create_template(admin_client, project, name="Other")
    ids = [run_task(admin_client, project, template["id"])["id"] for _ in range(3)]
    run_task(admin_client, project, other["id"])
    listed = {t["name"]: t for t in admin_client.get(f"{project.url}/templates").get_json()}
    last = listed["Deploy app"]["last_task"]
    assert last["id"] == ids[-1] and last["tpl_alias"] == "Deploy app" and last["status"] == "waiting"
    assert last["user_name"] == "Admin" and last["build_task"] is None
    assert listed["Deploy app"]["tasks"] == 3
    fetched = admin_client.get(f"{project.url}/templates/{template['id']}").get_json()
    assert fetched["last_task"]["id"] == ids[-1]
    url = f"{project.url}/templates/{template['id']}/tasks"
    assert [t["id"] for t in admin_client.get(url).get_json()] == ids[::-1]
    assert [t["id"] for t in admin_client.get(f"{url}?before={ids[-1]}").get_json()] == ids[-2::-1]
    assert [t["id"] for t in admin_client.get(f"{url}/last?limit=2").get_json()] == ids[:0:-1]
    for bad in ("0", "201", "many"):
        assert_refused(admin_client, "GET", f"{url}/last?limit={bad}", None, "limit")
    assert admin_client.get(f"{project.url}/templates/999999/tasks").status_code == 404


def test_template_schedules_lists_only_its_commit_schedules(app, admin_client, project):
    """As in the original, a template's schedules are its "run on new commit" ones: a client of the
    original that saves a template with its commit check off deletes each schedule listed here, so
    a plain cron schedule listed here would be lost."""
    template = create_template(admin_client, project)
    other = create_template(admin_client, project, name="Other")
    with app.extensions["semaphore"].db.session() as db:
        db.add(Schedule(project_id=project.id, template_id=template["id"], cron_format="0 * * * *", name="hourly"))
        db.add(Schedule(project_id=project.id, template_id=template["id"], cron_format="*/5 * * * *", name="on commit",
                        repository_id=project.repository_id))
        db.add(Schedule(project_id=project.id, template_id=other["id"], cron_format="*/5 * * * *", name="other's",
                        repository_id=project.repository_id))
    url = f"{project.url}/templates/{template['id']}/schedules"
    listed = admin_client.get(url).get_json()
    assert [(s["name"], s["repository_id"], s["tpl_name"]) for s in listed] == [
        ("on commit", project.repository_id, "Deploy app")]
    for schedule in listed:  # what such a client does when the commit check is cleared
        assert admin_client.delete(f"{project.url}/schedules/{schedule['id']}").status_code == 204
    assert admin_client.get(url).get_json() == []
    remaining = admin_client.get(f"{project.url}/schedules").get_json()
    assert sorted(s["name"] for s in remaining) == ["hourly", "other's"]


def test_sorting(admin_client, project):
    create_template(admin_client, project, name="b", playbook="1.sh")
    create_template(admin_client, project, name="a", playbook="2.sh")
    names = [t["name"] for t in admin_client.get(f"{project.url}/templates?sort=name&order=desc").get_json()]
    assert names == ["b", "a"]
    names = [t["name"] for t in admin_client.get(f"{project.url}/templates?sort=playbook").get_json()]
    assert names == ["b", "a"]
    assert admin_client.get(f"{project.url}/templates?sort=repository").status_code == 200
    assert_refused(admin_client, "GET", f"{project.url}/templates?sort=secret", None, "sort")


def test_roles(app, admin_client, project):
    template = create_template(admin_client, project)
    guest = member_client(app, admin_client, project, "guest", "guest")
    runner = member_client(app, admin_client, project, "runner", "task_runner")
    manager = member_client(app, admin_client, project, "manager", "manager")
    body = {"name": "T", "app": "bash", "playbook": "x.sh", "repository_id": project.repository_id}
    assert guest.get(f"{project.url}/templates").status_code == 200
    assert guest.get(f"{project.url}/templates/{template['id']}/tasks").status_code == 200
    for client in (guest, runner):
        assert client.post(f"{project.url}/templates", json=body).status_code == 403
        assert client.delete(f"{project.url}/templates/{template['id']}").status_code == 403
    assert manager.post(f"{project.url}/templates", json=body).status_code == 201
    outsider = member_client(app, admin_client, create_project(app, admin_client, "Elsewhere"), "outsider", "owner")
    assert outsider.get(f"{project.url}/templates").status_code == 404


def test_runner_tags_are_a_list_matched_all_or_any_and_runner_tag_its_first(admin_client, project):
    created = create_template(admin_client, project, runner_tags=["web", "db", "web"], runner_tags_match="any")
    assert created["runner_tags"] == ["web", "db"]  # in the order given, without repeats
    assert (created["runner_tags_match"], created["runner_tag"]) == ("any", "web")
    body = {"name": "Deploy app", "app": "bash", "playbook": "deploy.sh", "repository_id": project.repository_id,
            "runner_tag": "linux"}
    url = f"{project.url}/templates/{created['id']}"
    assert admin_client.put(url, json=body).status_code == 204
    fetched = admin_client.get(url).get_json()
    assert (fetched["runner_tags"], fetched["runner_tags_match"], fetched["runner_tag"]) == (["linux"], "all", "linux")
    assert admin_client.put(url, json={**body, "runner_tag": ""}).status_code == 204
    cleared = admin_client.get(url).get_json()
    assert (cleared["runner_tags"], cleared["runner_tag"]) == ([], None)


def test_a_client_that_knows_only_runner_tag_edits_it_in_what_it_read(admin_client, project):
    created = create_template(admin_client, project, runner_tags=["web", "db"])
    url = f"{project.url}/templates/{created['id']}"
    read = admin_client.get(url).get_json()
    assert admin_client.put(url, json={**read, "runner_tag": "blue"}).status_code == 204
    assert admin_client.get(url).get_json()["runner_tags"] == ["blue"]
    read = admin_client.get(url).get_json()
    assert admin_client.put(url, json={**read, "runner_tags": ["blue", "linux"]}).status_code == 204  # consistent
    assert admin_client.get(url).get_json()["runner_tags"] == ["blue", "linux"]
    read = admin_client.get(url).get_json()
    assert admin_client.put(url, json={**read, "runner_tag": "", "runner_tags": []}).status_code == 204
    assert admin_client.get(url).get_json()["runner_tags"] == []
