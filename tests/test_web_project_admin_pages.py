"""The schedules, integrations, team and settings pages through Flask's test client: what each role
sees, and a third-party notifier's project settings on the settings page, editable with their values."""

from __future__ import annotations

import re

import semaphore_notify_telegram
from pager_plugin import semaphore_test_pager

from semaphore.testing import create_user_row, log_in


def _project(app):
    create_user_row(app, "root", admin=True)
    create_user_row(app, "gail")
    create_user_row(app, "nick")
    admin = log_in(app.test_client(), "root")
    pid = admin.post("/api/projects", json={"name": "Ops"}).get_json()["id"]
    users = {user["username"]: user["id"] for user in admin.get("/api/users").get_json()}
    assert admin.post(f"/api/project/{pid}/users", json={"user_id": users["gail"], "role": "guest"}).status_code == 204
    return admin, pid, users


def _template(admin, pid):
    key = admin.post(f"/api/project/{pid}/keys", json={"name": "none", "type": "none", "project_id": pid}).get_json()
    repo = admin.post(f"/api/project/{pid}/repositories", json={
        "name": "r", "git_url": "file:///tmp/r", "git_branch": "main", "ssh_key_id": key["id"],
        "project_id": pid}).get_json()
    inv = admin.post(f"/api/project/{pid}/inventory", json={
        "name": "i", "type": "static", "inventory": "localhost", "project_id": pid}).get_json()
    env = admin.post(f"/api/project/{pid}/environment", json={"name": "e", "project_id": pid, "json": "{}"}).get_json()
    made = admin.post(f"/api/project/{pid}/templates", json={
        "name": "Deploy", "app": "bash", "playbook": "a.sh", "project_id": pid, "repository_id": repo["id"],
        "inventory_id": inv["id"], "environment_id": env["id"]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def test_schedules_list_shows_next_runs_and_the_form_its_preview(sqlite_app):
    admin, pid, _ = _project(sqlite_app)
    tid = _template(admin, pid)
    made = admin.post(f"/api/project/{pid}/schedules", json={"name": "Nightly", "template_id": tid,
                                                              "cron_format": "0 3 * * *", "project_id": pid})
    assert made.status_code == 201
    html = admin.get(f"/project/{pid}/schedules").get_data(as_text=True)
    assert "Nightly" in html and "0 3 * * *" in html and "03:00" in html and 'class="schedule-active"' in html
    form = admin.get(f"/project/{pid}/schedules/{made.get_json()['id']}").get_data(as_text=True)
    assert 'id="preview-runs"' in form and 'data-method="PUT"' in form and "Deploy" in form
    gail = log_in(sqlite_app.test_client(), "gail")
    html = gail.get(f"/project/{pid}/schedules").get_data(as_text=True)
    assert "Nightly" in html and "New schedule" not in html and "disabled" in html
    assert 'id="schedule-form"' not in gail.get(f"/project/{pid}/schedules/new").get_data(as_text=True)


def test_integration_page_offers_the_installed_kinds_and_shows_webhook_urls(sqlite_app):
    admin, pid, _ = _project(sqlite_app)
    tid = _template(admin, pid)
    iid = admin.post(f"/api/project/{pid}/integrations", json={"name": "Push", "template_id": tid}).get_json()["id"]
    alias = admin.post(f"/api/project/{pid}/integrations/{iid}/aliases").get_json()
    html = admin.get(f"/project/{pid}/integrations/{iid}").get_data(as_text=True)
    assert 'value="header"' in html and 'value="body"' in html and 'value="github"' in html
    assert alias["url"] in html and 'data-copy=' in html and 'id="new-matcher-form"' in html
    listing = admin.get(f"/project/{pid}/integrations").get_data(as_text=True)
    assert "Push" in listing and "Deploy" in listing and "Project webhook URLs" in listing


def test_team_page_lets_only_user_managers_change_members(sqlite_app):
    admin, pid, users = _project(sqlite_app)
    html = admin.get(f"/project/{pid}/team").get_data(as_text=True)
    assert 'id="add-member-form"' in html and "nick" in html and 'class="member-role"' in html
    gail = log_in(sqlite_app.test_client(), "gail")
    html = gail.get(f"/project/{pid}/team").get_data(as_text=True)
    assert "Guest" in html and 'id="add-member-form"' not in html and 'class="member-role"' not in html
    assert 'id="leave-project"' in html


def test_team_page_offers_each_viewer_only_the_changes_their_role_may_make(sqlite_app):
    """A manager gets selects and Delete buttons only in the rows of task runners and guests, and
    may give only those roles; the sole owner's row offers nothing, not even to an admin."""
    admin, pid, users = _project(sqlite_app)  # gail is a guest; root (the admin) owns the project
    users["mona"] = create_user_row(sqlite_app, "mona")
    create_user_row(sqlite_app, "zed")  # not a member: someone to add
    for name, role in (("nick", "manager"), ("mona", "task_runner")):
        assert admin.post(f"/api/project/{pid}/users", json={"user_id": users[name], "role": role}).status_code == 204

    def offered(client):
        html = client.get(f"/project/{pid}/team").get_data(as_text=True)
        rows = dict(re.findall(r'<tr data-user="(\d+)">(.*?)</tr>', html, re.S))
        editable = {int(uid) for uid, row in rows.items() if 'class="member-role"' in row and "data-delete" in row}
        form = html.split('id="add-member-form"', 1)[1] if 'id="add-member-form"' in html else ""
        return editable, set(re.findall(r'<option value="(\w+)"', form.split('id="member-role"', 1)[-1]))

    nick = log_in(sqlite_app.test_client(), "nick")
    assert offered(nick) == ({users["gail"], users["mona"]}, {"task_runner", "guest"})
    root_id = admin.get("/api/user").get_json()["id"]
    editable, roles = offered(admin)
    assert root_id not in editable and {users["gail"], users["nick"], users["mona"]} <= editable
    assert roles == {"owner", "manager", "task_runner", "guest"}


def test_settings_show_the_notifiers_fields_enabled_with_their_values_and_are_read_only_for_others(plugin_app):
    app = plugin_app(telegram=semaphore_notify_telegram, pager=semaphore_test_pager)
    admin, pid, _ = _project(app)
    assert admin.put(f"/api/project/{pid}", json={"name": "Ops", "alert_chat": "-100", "notifier_settings": {
        "pager": {"routing_key": "R-1", "severity": "warning"}}}).status_code == 204
    html = admin.get(f"/project/{pid}/settings").get_data(as_text=True)
    assert "Telegram chat ID" in html and "pager: on" in html and "telegram: not configured" in html
    assert re.search(r'<input id="notifier-telegram-alert_chat" name="alert_chat" type="text" value="-100"', html)
    assert re.search(r'<input id="notifier-pager-routing_key" name="notifier_settings.pager.routing_key" '
                     r'type="text" value="R-1"\s+aria-describedby="[^"]+">', html)  # not disabled: stored
    assert re.search(r'<select id="notifier-pager-severity" name="notifier_settings.pager.severity"', html)
    assert '<option value="warning" selected>Warning</option>' in html and "cannot store" not in html
    assert 'id="delete-project"' in html and 'id="read-only"' not in html
    gail = log_in(app.test_client(), "gail")
    html = gail.get(f"/project/{pid}/settings").get_data(as_text=True)
    assert 'id="read-only"' in html and "<fieldset disabled>" in html and 'id="delete-project"' not in html
    assert 'value="R-1"' in html
