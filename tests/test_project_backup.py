"""Project backup and restore (GET /api/project/{id}/backup, POST /api/projects/restore) on every
database: the original's format, no secrets in it, a round trip, a backup the original wrote, and
bad backups refused with the place of the error and nothing written."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from account_helpers import add_member, create_project, db_session, user_client
from sqlalchemy import func, select

from semaphore.db.models import AccessKey, Project, Schedule, Template
from semaphore.services.keys import decrypt_key
from semaphore.state import app_state

ORIGINAL_BACKUP = Path(__file__).parent / "data" / "original_backup.json"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAtopsecretkeymaterial\n-----END OPENSSH PRIVATE KEY-----\n"
SECRETS = ("topsecretkeymaterial", "vault-pass-42", "hunter2", "s3cr3t-token", "api-key-value", "key-passphrase")


def _post(client, path, body, status=201):
    response = client.post(path, json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def populate(client, pid: int) -> None:
    """A project with a bit of everything a backup holds."""
    p = f"/api/project/{pid}"
    keys = {k["name"]: k["id"] for k in client.get(f"{p}/keys").get_json()}
    deploy = _post(client, f"{p}/keys", {"name": "Deploy Key", "type": "ssh", "ssh": {
        "login": "git", "private_key": PRIVATE_KEY, "passphrase": "key-passphrase"}})["id"]
    vault = _post(client, f"{p}/keys", {"name": "Vault Password", "type": "login_password",
                                        "login_password": {"login": "", "password": "vault-pass-42"}})["id"]
    env = _post(client, f"{p}/environment", {"name": "Prod", "json": '{"stage": "prod"}', "env": '{"TZ": "UTC"}',
                                             "secrets": [{"operation": "create", "type": "var", "name": "TOKEN",
                                                          "secret": "s3cr3t-token"},
                                                         {"operation": "create", "type": "env", "name": "API_KEY",
                                                          "secret": "api-key-value"}]})["id"]
    build_view = _post(client, f"{p}/views", {"title": "Build", "position": 0})["id"]
    _post(client, f"{p}/views", {"title": "Ops", "position": 1})
    app_repo = _post(client, f"{p}/repositories", {"name": "App", "git_url": "https://bob:hunter2@example.test/app.git",
                                                   "git_branch": "main", "ssh_key_id": keys["None"]})["id"]
    infra = _post(client, f"{p}/repositories", {"name": "Infra", "git_url": "git@example.test:ops/infra.git",
                                                "git_branch": "master", "ssh_key_id": deploy})["id"]
    hosts = _post(client, f"{p}/inventory", {"name": "Hosts", "type": "static", "inventory": "[web]\nweb1",
                                             "ssh_key_id": deploy, "become_key_id": vault})["id"]
    _post(client, f"{p}/inventory", {"name": "Yaml", "type": "static-yaml", "inventory": "all:\n  hosts: {}\n"})
    _post(client, f"{p}/templates", {
        "name": "Site", "app": "ansible", "playbook": "site.yml", "repository_id": infra, "inventory_id": hosts,
        "environment_id": env, "view_id": build_view, "arguments": '["--diff"]', "allow_override_args_in_task": True,
        "description": "the whole site", "git_branch": "release",
        "survey_vars": [{"name": "reason", "title": "Why", "required": True},
                        {"name": "color", "type": "enum", "values": [{"name": "Blue", "value": "blue"}]}],
        "vaults": [{"vault_key_id": vault}, {"name": "prod", "vault_key_id": vault},
                   {"name": "dev", "type": "script", "script": "vault-client.sh"}]})["id"]
    build = _post(client, f"{p}/templates", {"name": "Build", "app": "ansible", "type": "build", "playbook": "b.yml",
                                             "start_version": "1.0.0", "repository_id": app_repo,
                                             "inventory_id": hosts})["id"]
    _post(client, f"{p}/templates", {"name": "Deploy", "app": "ansible", "type": "deploy", "playbook": "d.yml",
                                     "build_template_id": build, "autorun": True, "repository_id": app_repo,
                                     "inventory_id": hosts, "suppress_success_alerts": True})
    cleanup = _post(client, f"{p}/templates", {"name": "Clean up", "app": "bash", "playbook": "cleanup.sh",
                                               "repository_id": app_repo, "allow_parallel_tasks": True,
                                               "task_params": {"something": 1}})["id"]
    _post(client, f"{p}/templates", {"name": "Report", "app": "python", "playbook": "report.py",
                                     "repository_id": app_repo, "runner_tags": ["fast", "arm"],
                                     "runner_tags_match": "any"})
    _post(client, f"{p}/schedules", {"template_id": cleanup, "cron_format": "0 3 * * *", "name": "nightly"})
    _post(client, f"{p}/schedules", {"template_id": build, "cron_format": "*/5 * * * *", "name": "on commit",
                                     "repository_id": app_repo, "active": False, "timezone": "Europe/Paris"})
    hook = _post(client, f"{p}/integrations", {"name": "Push", "template_id": build, "auth_method": "github",
                                               "auth_secret_id": vault, "searchable": True,
                                               "task_params": '{"environment": "{}"}'})["id"]
    _post(client, f"{p}/integrations/{hook}/matchers", {"name": "main", "match_type": "body", "method": "equals",
                                                        "body_data_type": "json", "key": "ref",
                                                        "value": "refs/heads/main"})
    _post(client, f"{p}/integrations/{hook}/matchers", {"name": "event", "match_type": "header", "key": "X-Event",
                                                        "value": "push", "method": "contains"})
    _post(client, f"{p}/integrations/{hook}/values", {"name": "sha", "value_source": "body",
                                                      "body_data_type": "json", "key": "after", "variable": "sha"})
    _post(client, f"{p}/integrations/{hook}/aliases", {})
    _post(client, f"{p}/integrations/aliases", {})


def without_aliases(backup: dict) -> dict:
    """An alias is a webhook URL, unique on the server: a restore on the same server gets new ones."""
    backup = copy.deepcopy(backup)
    backup["integration_aliases"] = len(backup["integration_aliases"])
    for integration in backup["integrations"]:
        integration["aliases"] = len(integration["aliases"])
    return backup


def test_backup_has_the_original_format_and_no_secrets(app, admin_client):
    pid = create_project(admin_client, "Web")
    populate(admin_client, pid)
    response = admin_client.get(f"/api/project/{pid}/backup")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = response.get_data(as_text=True)
    assert not [secret for secret in SECRETS if secret in text]
    backup = response.get_json()
    assert backup["meta"] == {"name": "Web", "alert": False, "alert_chat": None, "max_parallel_tasks": 0, "type": ""}
    assert backup["keys"] == [{"name": "None", "type": "none"}, {"name": "Deploy Key", "type": "ssh"},
                              {"name": "Vault Password", "type": "login_password"}]
    prod = backup["environments"][1]
    assert prod == {"name": "Prod", "password": None, "json": '{"stage": "prod"}', "env": '{"TZ": "UTC"}',
                    "secrets": [{"type": "env", "name": "API_KEY"}, {"type": "var", "name": "TOKEN"}]}
    assert backup["repositories"][0] == {"name": "App", "git_url": "https://bob@example.test/app.git",
                                         "git_branch": "main", "ssh_key": "None"}
    assert backup["inventories"][0] == {"name": "Hosts", "inventory": "[web]\nweb1", "type": "static",
                                        "ssh_key": "Deploy Key", "become_key": "Vault Password"}
    site, build, deploy, cleanup, _ = backup["templates"]
    assert (site["repository"], site["inventory"], site["environment"], site["view"]) == ("Infra", "Hosts", "Prod",
                                                                                          "Build")
    assert site["vaults"] == [{"name": None, "type": "password", "script": None, "vault_key": "Vault Password"},
                              {"name": "prod", "type": "password", "script": None, "vault_key": "Vault Password"},
                              {"name": "dev", "type": "script", "script": "vault-client.sh", "vault_key": None}]
    assert [v["name"] for v in site["survey_vars"]] == ["reason", "color"]
    assert (deploy["build_template"], deploy["autorun"], build["cron"], cleanup["cron"]) == ("Build", True,
                                                                                             "*/5 * * * *", "0 3 * * *")
    [push] = backup["integrations"]
    assert (push["template"], push["auth_secret"], len(push["aliases"])) == ("Build", "Vault Password", 1)
    assert [m["name"] for m in push["matchers"]] == ["main", "event"]
    assert push["extract_values"] == [{"name": "sha", "value_source": "body", "body_data_type": "json",
                                       "key": "after", "variable": "sha"}]
    assert len(backup["integration_aliases"]) == 1


def test_restore_round_trip(app, admin_client):
    pid = create_project(admin_client, "Web")
    populate(admin_client, pid)
    first = admin_client.get(f"/api/project/{pid}/backup").get_json()
    restored = admin_client.post("/api/projects/restore", json=first)
    assert restored.status_code == 200, restored.get_json()
    new_pid = restored.get_json()["id"]
    assert new_pid != pid and restored.get_json()["name"] == "Web"
    assert admin_client.get(f"/api/project/{new_pid}/role").get_json()["role"] == "owner"
    second = admin_client.get(f"/api/project/{new_pid}/backup").get_json()
    assert without_aliases(second) == without_aliases(first)
    with app.app_context(), db_session(app) as db:
        keys = {k.name: k for k in db.scalars(select(AccessKey).where(AccessKey.project_id == new_pid))}
        assert keys["Vault Password"].secret is None and keys["Deploy Key"].secret is None
        # the name came back, the value did not
        assert decrypt_key(app_state(app).secrets, keys["var.TOKEN"]) == ""
        commit_schedule = db.scalar(select(Schedule).where(Schedule.project_id == new_pid,
                                                           Schedule.repository_id.is_not(None)))
        assert commit_schedule is not None and commit_schedule.active is False


def test_restore_of_a_backup_written_by_the_original(app, admin_client):
    backup = json.loads(ORIGINAL_BACKUP.read_text())
    response = admin_client.post("/api/projects/restore", json=backup)
    assert response.status_code == 200, response.get_json()
    pid = response.get_json()["id"]
    p = f"/api/project/{pid}"
    assert response.get_json()["alert_chat"] == "Test"
    keys = {k["name"]: k for k in admin_client.get(f"{p}/keys").get_json()}
    assert {name: k["type"] for name, k in keys.items()} == {"None": "none", "Vault Password": "login_password",
                                                             "Deploy Key": "ssh"}
    templates = {t["name"]: t for t in admin_client.get(f"{p}/templates").get_json()}
    deploy = templates["Deploy to Production"]
    assert deploy["build_template_id"] == templates["Build"]["id"] and deploy["autorun"] is True
    assert [(v["name"], v["vault_key_id"]) for v in deploy["vaults"]] == [
        (None, keys["Vault Password"]["id"]), ("prod", keys["Vault Password"]["id"])]
    assert [v["name"] for v in deploy["survey_vars"]] == ["reason", "color"]
    assert templates["Clean up"]["app"] == "bash"
    schedules = admin_client.get(f"{p}/schedules").get_json()
    assert sorted((s["tpl_name"], s["cron_format"]) for s in schedules) == [("Build", "* * * * *"),
                                                                           ("Clean up", "30 2 * * 1")]
    [hook] = admin_client.get(f"{p}/integrations").get_json()
    assert (hook["auth_method"], hook["auth_secret_id"], hook["auth_header"]) == (
        "github", keys["Vault Password"]["id"], "")
    assert [a["alias"] for a in admin_client.get(f"{p}/integrations/{hook['id']}/aliases").get_json()] == [
        "ghpush0123456789"]
    assert [a["alias"] for a in admin_client.get(f"{p}/integrations/aliases").get_json()] == ["project0123456789"]
    backup_again = admin_client.get(f"{p}/backup").get_json()
    assert [e["name"] for e in backup_again["environments"]] == ["Empty", "Prod"]
    assert backup_again["inventories"][1]["become_key"] == "Vault Password"


def test_restore_needs_the_right_to_create_projects(app, admin_client):
    pid = create_project(admin_client, "Web")
    member, member_id = user_client(app, "carol")
    add_member(admin_client, pid, member_id, "guest")
    backup = member.get(f"/api/project/{pid}/backup")
    assert backup.status_code == 200  # any member reads the backup, as in the original
    response = member.post("/api/projects/restore", json=backup.get_json())
    assert response.status_code == 403
    assert user_client(app, "dave")[0].get(f"/api/project/{pid}/backup").status_code == 404


def _original():
    return json.loads(ORIGINAL_BACKUP.read_text())


def _edit(change):
    backup = _original()
    change(backup)
    return backup


BAD_BACKUPS = [
    ([], ""),  # not an object: flask-smorest's "Invalid input type."
    ({"keys": []}, "meta"),
    ({"meta": {"name": ""}}, "meta.name"),
    (_edit(lambda b: b.update(keys="none")), "keys"),
    (_edit(lambda b: b["keys"].append("key")), "keys[3]"),
    (_edit(lambda b: b["keys"].append({"name": "None", "type": "none"})), "keys[3].name"),
    (_edit(lambda b: b["keys"][1].update(type="kerberos")), "keys[1].type"),
    (_edit(lambda b: b["environments"][1].update(json="[1]")), "environments[1].json"),
    (_edit(lambda b: b["environments"][1].update(secrets=[{"type": "var", "name": "A"}, {"type": "var", "name": "A"}])),
     "environments[1].secrets[1].name"),
    (_edit(lambda b: b["environments"][1].update(secrets=[{"type": "var"}])), "environments[1].secrets[0].name"),
    (_edit(lambda b: b["environments"][1].update(secrets=[{"type": "file", "name": "A"}])),
     "environments[1].secrets[0].type"),
    (_edit(lambda b: b["repositories"][0].update(ssh_key="Nope")), "repositories[0].ssh_key"),
    (_edit(lambda b: b["repositories"][1].update(git_url="ext::sh -c id")), "repositories[1].git_url"),
    (_edit(lambda b: b["inventories"][1].update(become_key="Deploy Key")), "inventories[1].become_key"),
    (_edit(lambda b: b["templates"][2].update(inventory="X")), "templates[2].inventory"),
    (_edit(lambda b: b["templates"][1].update(build_template=None)), "templates[1].build_template"),
    (_edit(lambda b: b["templates"][1]["vaults"][1].update(vault_key="Gone")), "templates[1].vaults[1].vault_key"),
    (_edit(lambda b: b["templates"][1]["survey_vars"][0].update(name="not a name")),
     "templates[1].survey_vars[0].name"),
    (_edit(lambda b: b["templates"][2].update(cron="every day")), "templates[2].cron.cron_format"),
    (_edit(lambda b: b["integrations"][0].update(template="Gone")), "integrations[0].template"),
    (_edit(lambda b: b["integrations"][0]["matchers"][0].update(method="like")),
     "integrations[0].matchers[0].method"),
    (_edit(lambda b: b.update(integration_aliases=["not an/alias"])), "integration_aliases[0]"),
]


@pytest.mark.parametrize(("backup", "field"), BAD_BACKUPS, ids=[field or "not-an-object" for _, field in BAD_BACKUPS])
def test_bad_backups_are_400_naming_the_place_and_write_nothing(app, admin_client, backup, field):
    response = admin_client.post("/api/projects/restore", json=backup)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert not field or body["error"].startswith(f"{field}: ") and body["field"] == field, body
    with db_session(app) as db:
        assert db.scalar(select(func.count()).select_from(Project)) == 0
        assert db.scalar(select(func.count()).select_from(Template)) == 0


def _leaves(value, path=()):
    """The path of every value inside the backup that is no object or list, and of every list."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        yield path
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


def test_no_value_of_the_wrong_type_anywhere_in_a_backup_answers_500(sqlite_app):
    """Each value of the original's backup in turn replaced by values of other types or ranges (three
    of them per value, in turn, to keep it fast)."""
    from semaphore.testing import create_user_row, log_in

    create_user_row(sqlite_app, "root", admin=True)
    client = log_in(sqlite_app.test_client(), "root")
    original = _original()
    failures = []
    junk_values = (None, 10**20, "x", [], {}, -1, "", [["x"]], True)
    for number, path in enumerate(_leaves(original)):
        for junk in (junk_values * 2)[number % len(junk_values):][:3]:
            backup = copy.deepcopy(original)
            target = backup
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = junk
            response = client.post("/api/projects/restore", json=backup)
            if response.status_code not in (200, 400):
                failures.append(f"{path} = {junk!r}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    assert not failures, "\n".join(failures)
