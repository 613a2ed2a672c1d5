"""The templates, template form and task history pages through Flask's test client: what each shows
for which role, search, views, paging, status filters, and the template form built from the
executor's template_fields (also for a third-party executor). tests/test_web_templates.py drives
them in a real browser."""

from __future__ import annotations

import importlib
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from resource_helpers import (
    create_key,
    create_login_password_key,
    create_project,
    create_repository,
    insert_schedule,
    member_client,
)

from semaphore import Executor, TemplateField, hookimpl
from semaphore.db.models import Task, Template
from semaphore.testing import create_user_row, log_in


@pytest.fixture
def dialect():
    return "sqlite"


APP_PLUGINS = ("ansible", "bash", "python", "powershell", "terraform")


@pytest.fixture
def app(plugin_app):
    """An app with the template apps this repository ships."""
    return plugin_app(**{name: importlib.import_module(f"semaphore_{name}") for name in APP_PLUGINS})


@pytest.fixture
def site(app):
    create_user_row(app, "root", admin=True)
    admin = log_in(app.test_client(), "root")
    pid = create_project(admin, "Ops")
    key = create_key(admin, pid)
    repository = create_repository(admin, pid, key)
    return app, admin, pid, repository["id"]


def insert_template(flask_app, pid, repository_id, name, **columns):
    with flask_app.extensions["semaphore"].db.session() as db:
        template = Template(project_id=pid, name=name, repository_id=repository_id,
                            **{"playbook": "site.yml", **columns})
        db.add(template)
        db.flush()
        return int(template.id)


def insert_tasks(app, template_id, pid, statuses, start=None):
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    with app.extensions["semaphore"].db.session() as db:
        for index, status in enumerate(statuses):
            created = start + timedelta(minutes=index)
            task = Task(template_id=template_id, project_id=pid, status=status, created=created, start=created,
                        end=created + timedelta(seconds=65), message=f"change {index}")
            db.add(task)
            db.flush()
            ids.append(task.id)
    return ids


def html_of(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.get_data(as_text=True)[:500])
    return response.get_data(as_text=True)


def test_template_field_controls_are_inferred_from_names_unless_given():
    assert TemplateField("repository_id", "Repository").control == "select"
    assert TemplateField("task_params.allow_destroy", "Destroy").control == "checkbox"
    assert TemplateField("allow_override_args_in_task", "Args").control == "checkbox"
    assert TemplateField("task_params.auto_approve", "Auto").control == "checkbox"
    assert TemplateField("arguments", "Args").control == "json"
    assert TemplateField("playbook", "Script").control == "text"
    assert TemplateField("task_params.mode", "Mode", options=(("a", "A"),)).control == "select"
    assert TemplateField("playbook", "Notes", kind="textarea").control == "textarea"


def test_templates_list_shows_app_type_and_last_task_and_searches_by_name(site):
    app, admin, pid, repository_id = site
    deploy = insert_template(app, pid, repository_id, "Deploy web", app="bash", playbook="deploy.sh")
    insert_template(app, pid, repository_id, "Build 100%_done", app="ansible", type="build", start_version="1.0")
    task_ids = insert_tasks(app, deploy, pid, ["success", "error"])
    html = html_of(admin, f"/project/{pid}/templates")
    row = re.search(rf'<tr data-template="{deploy}">.*?</tr>', html, re.S).group(0)
    assert "Deploy web" in row and ">Bash</td>" in row and ">Task<" in row
    assert f'href="/project/{pid}/tasks/{task_ids[-1]}"' in row and "status-error" in row
    assert "Ansible Playbook" in html and ">Build<" in html and "never run" in html
    assert 'id="new-template"' in html and f'data-run="{deploy}"' in html and 'id="run-dialog"' in html

    found = html_of(admin, f"/project/{pid}/templates?q=WEB")
    assert "Deploy web" in found and "Build 100%" not in found
    assert 'value="WEB"' in found
    assert "Build 100%" in html_of(admin, f"/project/{pid}/templates?q=100%25_")
    assert "Deploy web" not in html_of(admin, f"/project/{pid}/templates?q=100%25_")
    assert 'id="no-templates"' in html_of(admin, f"/project/{pid}/templates?q=nothing")


def test_view_tabs_filter_the_list_and_managers_get_the_view_forms(site):
    app, admin, pid, repository_id = site
    view = admin.post(f"/api/project/{pid}/views", json={"title": "Prod"}).get_json()
    insert_template(app, pid, repository_id, "In prod", app="bash", view_id=view["id"])
    insert_template(app, pid, repository_id, "Elsewhere", app="bash")
    html = html_of(admin, f"/project/{pid}/templates")
    assert (f'<a href="/project/{pid}/templates" aria-current="page">All</a>' in html)
    assert 'id="add-view-form"' in html and 'id="rename-view-form"' not in html
    in_view = html_of(admin, f"/project/{pid}/templates?view={view['id']}")
    assert "In prod" in in_view and "Elsewhere" not in in_view
    assert f'?view={view["id"]}" aria-current="page">Prod</a>' in in_view and 'id="rename-view-form"' in in_view
    html_of(admin, f"/project/{pid}/templates?view=99999", status=404)

    guest = member_client(app, admin, pid, "gail", "guest")
    seen = html_of(guest, f"/project/{pid}/templates?view={view['id']}")
    assert "In prod" in seen and 'id="add-view-form"' not in seen and "data-run=" not in seen
    assert 'id="new-template"' not in seen and 'id="run-dialog"' not in seen
    runner = member_client(app, admin, pid, "tara", "task_runner")
    seen = html_of(runner, f"/project/{pid}/templates")
    assert "data-run=" in seen and 'id="new-template"' not in seen


def test_templates_are_paged_fifty_at_a_time(site):
    app, admin, pid, repository_id = site
    for index in range(55):
        insert_template(app, pid, repository_id, f"t{index:02d}", app="bash")
    first = html_of(admin, f"/project/{pid}/templates")
    assert first.count("<tr data-template=") == 50 and 'rel="next"' in first and 'rel="prev"' not in first
    second = html_of(admin, f"/project/{pid}/templates?page=2&q=t")
    assert second.count("<tr data-template=") == 5 and "t54" in second and 'rel="prev"' in second


def test_history_is_newest_first_paged_and_filtered_by_status(site):
    app, admin, pid, repository_id = site
    template = insert_template(app, pid, repository_id, "Nightly", app="bash")
    ids = insert_tasks(app, template, pid, ["success"] * 50 + ["error", "running", "stopped"])
    html = html_of(admin, f"/project/{pid}/history")
    rows = re.findall(r'<tr data-task="(\d+)">', html)
    assert [int(row) for row in rows] == ids[::-1][:50] and 'rel="next"' in html
    assert f'href="/project/{pid}/tasks/{ids[-1]}"' in html and "1m 05s" in html and "change 52" in html
    older = html_of(admin, f"/project/{pid}/history?page=2")
    assert [int(row) for row in re.findall(r'<tr data-task="(\d+)">', older)] == ids[2::-1]
    assert 'rel="prev"' in older and 'rel="next"' not in older
    failed = html_of(admin, f"/project/{pid}/history?status=error")
    assert re.findall(r'<tr data-task="(\d+)">', failed) == [str(ids[50])]
    assert 'href="?status=error"' not in failed and '/history?status=error" aria-current="page"' in failed
    active = html_of(admin, f"/project/{pid}/history?status=active")
    assert re.findall(r'<tr data-task="(\d+)">', active) == [str(ids[51])]
    assert 'id="no-tasks"' in html_of(admin, f"/project/{pid}/history?page=9")
    assert len(re.findall(r'<tr data-task=', html_of(admin, f"/project/{pid}/history?status=bogus"))) == 50


def test_template_page_shows_settings_schedules_and_its_own_tasks(site):
    app, admin, pid, repository_id = site
    template = insert_template(app, pid, repository_id, "Backup", app="bash", playbook="backup.sh",
                               survey_vars='[{"name": "target", "title": "Target", "required": true}]',
                               allow_override_args_in_task=True)
    other = insert_template(app, pid, repository_id, "Other", app="bash")
    insert_schedule(app, pid, template, "nightly backup")
    own = insert_tasks(app, template, pid, ["success", "error"])
    insert_tasks(app, other, pid, ["success"])
    html = html_of(admin, f"/project/{pid}/templates/{template}")
    assert "backup.sh" in html and "<dd>Bash</dd>" in html and "repo" in html and "add arguments" in html
    assert "nightly backup" in html and "target" in html and "required" in html
    assert [int(row) for row in re.findall(r'<tr data-task="(\d+)">', html)] == own[::-1]
    assert f'data-delete="/api/project/{pid}/templates/{template}"' in html and 'id="edit-template"' in html
    filtered = html_of(admin, f"/project/{pid}/templates/{template}?status=success")
    assert [int(row) for row in re.findall(r'<tr data-task="(\d+)">', filtered)] == own[:1]
    html_of(admin, f"/project/{pid}/templates/99999", status=404)


def test_template_page_shows_every_runner_tag_and_whether_a_runner_needs_all_or_one(site):
    app, admin, pid, repository_id = site
    template = insert_template(app, pid, repository_id, "Render", app="bash")

    def tags_shown(tags, match):
        body = admin.get(f"/api/project/{pid}/templates/{template}").get_json()
        response = admin.put(f"/api/project/{pid}/templates/{template}",
                             json={**body, "runner_tags": tags, "runner_tags_match": match})
        assert response.status_code == 204, response.get_json()
        html = html_of(admin, f"/project/{pid}/templates/{template}")
        found = re.search(r'<dt>(Runner tags?)</dt><dd id="template-runner-tags">([^<]*)</dd>', html)
        return (found.group(1), unescape(found.group(2))) if found else None

    assert tags_shown([], "all") is None
    assert tags_shown(["gpu"], "any") == ("Runner tag", "gpu")
    assert tags_shown(["gpu", "linux", "x86"], "all") == \
        ("Runner tags", "gpu, linux, x86 · a runner needs every one of them")
    assert tags_shown(["gpu", "arm"], "any") == ("Runner tags", "gpu, arm · a runner needs one of them")


def test_the_new_template_page_offers_every_installed_app_then_its_form(site):
    app, admin, pid, repository_id = site
    html = html_of(admin, f"/project/{pid}/templates/new")
    apps = re.findall(r'data-app="([^"]+)"', html)
    assert {"ansible", "bash", "python", "powershell"} <= set(apps)
    bash = html_of(admin, f"/project/{pid}/templates/new?app=bash")
    assert 'id="template-form"' in bash and 'data-method="POST"' in bash
    assert 'name="playbook"' in bash and 'name="arguments"' in bash and 'data-type="json"' in bash
    assert re.search(r'<select id="tf-repository-id" name="repository_id"[^>]*data-type="id"', bash)
    assert f'<option value="{repository_id}">repo</option>' in bash
    assert 'name="inventory_id"' not in bash and 'id="vaults-editor"' not in bash
    assert 'id="survey-editor"' in bash and 'name="git_branch"' in bash and 'name="runner_tags"' in bash


def test_the_ansible_form_has_separate_task_params_vaults_and_only_its_inventory_types(site):
    app, admin, pid, repository_id = site
    key = create_login_password_key(admin, pid, "vault pass")
    static = admin.post(f"/api/project/{pid}/inventory", json={"name": "hosts", "type": "static",
                                                               "inventory": "localhost"}).get_json()
    workspace = admin.post(f"/api/project/{pid}/inventory", json={"name": "ws", "type": "terraform-workspace",
                                                                  "inventory": "prod"})
    html = html_of(admin, f"/project/{pid}/templates/new?app=ansible")
    for name in ("task_params.limit", "task_params.tags", "task_params.skip_tags"):
        assert f'name="{name}" type="text"' in html, name
    for name in ("task_params.allow_override_limit", "task_params.allow_override_tags",
                 "task_params.allow_override_skip_tags", "allow_override_args_in_task"):
        assert re.search(rf'name="{re.escape(name)}" type="checkbox" data-type="bool"', html), name
    assert 'id="vaults-editor"' in html and f'<option value="{key}">vault pass</option>' in html
    assert f'<option value="{static["id"]}">hosts</option>' in html
    if workspace.status_code == 201:
        assert '>ws</option>' not in html


def test_the_edit_form_is_filled_with_the_templates_values(site):
    app, admin, pid, repository_id = site
    vault_key = create_login_password_key(admin, pid, "vault pass")
    created = admin.post(f"/api/project/{pid}/templates", json={
        "name": "Site", "app": "ansible", "playbook": "site.yml", "repository_id": repository_id,
        "inventory_id": admin.post(f"/api/project/{pid}/inventory", json={
            "name": "hosts", "type": "static", "inventory": "localhost"}).get_json()["id"],
        "task_params": {"limit": "web", "allow_override_tags": True, "custom": 1},
        "survey_vars": [{"name": "color", "type": "enum", "values": [{"name": "Red", "value": "red"}]}],
        "arguments": '["-v"]', "vaults": [{"name": "prod", "vault_key_id": vault_key},
                                          {"name": "ci", "type": "script", "script": "bin/vault.sh"}]})
    assert created.status_code == 201, created.get_json()
    tid = created.get_json()["id"]
    html = html_of(admin, f"/project/{pid}/templates/{tid}/edit")
    rows = json.loads(unescape(re.search(r"id=\"vaults-editor\"[^>]*data-rows='([^']*)'", html).group(1)))
    assert [{k: row[k] for k in ("name", "type", "vault_key_id", "script")} for row in rows] == [
        {"name": "prod", "type": "password", "vault_key_id": vault_key, "script": None},
        {"name": "ci", "type": "script", "vault_key_id": None, "script": "bin/vault.sh"}]
    assert [row["id"] for row in rows] == [vault["id"] for vault in created.get_json()["vaults"]]
    assert 'data-method="PUT"' in html and f'data-api="/api/project/{pid}/templates/{tid}"' in html
    assert 'value="site.yml"' in html and 'name="task_params.limit" type="text" value="web"' in html
    assert re.search(r'name="task_params.allow_override_tags" type="checkbox" data-type="bool" checked', html)
    assert "&#34;custom&#34;: 1" in html or '"custom": 1' in html  # kept in data-extra
    assert "[&#34;-v&#34;]" in html or '["-v"]' in html
    assert "color" in html and "Red" in html


def test_a_guest_sees_no_template_form(site):
    app, admin, pid, _ = site
    guest = member_client(app, admin, pid, "gail", "guest")
    html = html_of(guest, f"/project/{pid}/templates/new?app=bash")
    assert 'id="cannot-manage"' in html and 'id="template-form"' not in html


class Lint(Executor):
    """A third-party app that only declares template_fields."""

    app_id = "lint"
    title = "Linter"
    inventory_types = ()
    template_fields = (
        TemplateField("playbook", "Config file", required=True),
        TemplateField("task_params.level", "Strictness", options=(("low", "Low"), ("high", "High"))),
        TemplateField("task_params.allow_fix", "Allow fixes in task"),
        TemplateField("task_params.paths", "Paths", kind="lines", help="One per line"),
    )


class LintPlugin:
    @hookimpl
    def register_executors(self, register):
        register(Lint())


def test_a_plugin_executors_template_fields_make_its_form(plugin_app):
    app = plugin_app(lint=LintPlugin())
    create_user_row(app, "root", admin=True)
    admin = log_in(app.test_client(), "root")
    pid = create_project(admin, "Lint")
    repository_id = create_repository(admin, pid, create_key(admin, pid))["id"]
    assert 'data-app="lint"' in html_of(admin, f"/project/{pid}/templates/new")
    html = html_of(admin, f"/project/{pid}/templates/new?app=lint")
    assert "New Linter template" in html and 'name="playbook"' in html and "Config file (required)" in html
    assert re.search(r'<select id="tf-task-params-level" name="task_params.level"', html)
    assert '<option value="high">High</option>' in html
    assert re.search(r'name="task_params.allow_fix" type="checkbox"', html)
    assert re.search(r'<textarea id="tf-task-params-paths" name="task_params.paths"[^>]*data-type="lines"', html)
    assert f'<option value="{repository_id}">repo</option>' in html  # added though Lint does not declare it
    created = admin.post(f"/api/project/{pid}/templates", json={
        "name": "lint", "app": "lint", "playbook": ".lint.toml", "repository_id": repository_id,
        "task_params": {"level": "high", "paths": ["src", "tests"], "allow_fix": True}})
    assert created.status_code == 201, created.get_json()
    edit = html_of(admin, f"/project/{pid}/templates/{created.get_json()['id']}/edit")
    assert '<option value="high" selected>High</option>' in edit and "src\ntests</textarea>" in edit
