"""The task page through Flask's test client: the header, the buttons each role sees, the re-run
request, the log's bounds handed to the page script, and 404s. tests/test_web_task.py drives the page
(live log, search, stop, host results) in a real browser."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from resource_helpers import create_key, create_project, create_repository, insert_template

from semaphore.db.models import ProjectUser, Runner, Task, TaskOutput
from semaphore.services.task_log_range import output_bounds
from semaphore.testing import create_user_row, log_in

PAGE_ASSETS = ("/static/task.js", "/static/log_view.js", "/static/log_search.js", "/static/ansi.js", "/static/task.css")


@pytest.fixture
def site(sqlite_app):
    root_id = create_user_row(sqlite_app, "root", admin=True, name="Root Admin")
    guest_id = create_user_row(sqlite_app, "gail")
    admin = log_in(sqlite_app.test_client(), "root")
    pid = create_project(admin, "Ops")
    repository = create_repository(admin, pid, create_key(admin, pid))
    template_id = insert_template(sqlite_app, pid, repository["id"], "Deploy site")
    started = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with sqlite_app.extensions["semaphore"].db.session() as db:
        db.add(ProjectUser(project_id=pid, user_id=guest_id, role="guest"))
        running = Task(project_id=pid, template_id=template_id, status="running", user_id=root_id,
                       message="hotfix 42", commit_hash="0123456789abcdef", commit_message="Fix the login",
                       version="1.4.2", created=started, start=started, hosts_limit="web1",
                       environment='{"who": "ops"}', debug=True)
        confirm = Task(project_id=pid, template_id=template_id, status="waiting_confirmation", message="",
                       created=started)
        db.add_all([running, confirm])
        db.flush()
        db.add_all([TaskOutput(task_id=running.id, seq=seq, output=f"line {seq}", time=started + timedelta(seconds=seq))
                    for seq in range(3, 8)])
        ids = {"running": running.id, "confirm": confirm.id}
    return sqlite_app, admin, log_in(sqlite_app.test_client(), "gail"), pid, template_id, ids


def html_of(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.get_data(as_text=True)[:500])
    return response.get_data(as_text=True)


def data_attribute(html, name):
    found = re.search(rf'data-{name}="([^"]*)"', html)
    assert found, name
    return found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


def test_the_header_shows_template_status_author_message_commit_version_and_times(site):
    app, admin, _, pid, template_id, ids = site
    html = html_of(admin, f"/project/{pid}/tasks/{ids['running']}")
    assert f'<a href="/project/{pid}/templates/{template_id}">Deploy site</a>' in html
    assert f"Task #{ids['running']}" in html
    assert re.search(r'id="task-status" class="status status-running"[^>]*>running<', html)
    assert '<dd id="task-run-by">Root Admin</dd>' in html
    assert '<div id="task-runner-row" hidden>' in html  # run by this server
    assert "hotfix 42" in html and "<code>0123456789</code> Fix the login" in html and "1.4.2" in html
    assert 'datetime="2026-03-01T12:00:00+00:00">2026-03-01 12:00:00 UTC<' in html
    # The history section is the current one in the project navigation.
    assert f'<a href="/project/{pid}/history" aria-current="page">' in html


def test_a_runner_gets_stop_and_re_run_and_the_re_run_repeats_the_overrides(site):
    _, admin, _, pid, template_id, ids = site
    html = html_of(admin, f"/project/{pid}/tasks/{ids['running']}")
    for button in ("task-stop", "task-confirm", "task-reject", "task-rerun"):
        assert f'id="{button}"' in html, button
    body = json.loads(data_attribute(html, "body"))
    assert body == {"template_id": template_id, "debug": True, "dry_run": False, "diff": False,
                    "environment": '{"who": "ops"}', "limit": "web1", "message": "hotfix 42"}
    assert (f'href="/api/project/{pid}/tasks/{ids["running"]}/raw_output" download="task-{ids["running"]}.log"'
            in html)


def test_a_guest_sees_the_log_and_the_download_but_no_buttons_that_change_the_task(site):
    _, _, guest, pid, _, ids = site
    for task_id in ids.values():
        html = html_of(guest, f"/project/{pid}/tasks/{task_id}")
        assert not re.search(r'id="task-(stop|confirm|reject|rerun)"', html)
        assert 'id="task-download"' in html and 'id="log"' in html


def test_the_page_hands_the_log_bounds_to_its_script_and_not_the_lines(site):
    app, admin, _, pid, _, ids = site
    html = html_of(admin, f"/project/{pid}/tasks/{ids['running']}")
    assert data_attribute(html, "first-seq") == "3" and data_attribute(html, "last-seq") == "7"
    assert "line 5" not in html  # the script reads the lines from the output endpoint, a page at a time
    task = json.loads(data_attribute(html, "task"))
    assert task["id"] == ids["running"] and task["status"] == "running" and task["start"].startswith("2026-03-01T12")
    empty = html_of(admin, f"/project/{pid}/tasks/{ids['confirm']}")
    assert data_attribute(empty, "first-seq") == "0" and data_attribute(empty, "last-seq") == "0"
    with app.extensions["semaphore"].db.session() as db:
        assert output_bounds(db, ids["running"]) == (3, 7)


def test_unknown_tasks_and_tasks_of_other_projects_are_not_found(site):
    _, admin, _, pid, _, ids = site
    other = create_project(admin, "Other")
    html_of(admin, f"/project/{other}/tasks/{ids['running']}", status=404)
    html_of(admin, f"/project/{pid}/tasks/999999", status=404)


def test_the_page_scripts_and_styles_load(site):
    _, admin, _, _, _, _ = site
    for asset in PAGE_ASSETS:
        response = admin.get(asset)
        response.close()
        assert response.status_code == 200, asset


def test_a_task_run_on_a_remote_runner_names_it(site):
    app, admin, _, pid, _, ids = site
    with app.extensions["semaphore"].db.session() as db:
        runner = Runner(name="dmz-1", token="0" * 64)
        unnamed = Runner(token="1" * 64)
        db.add_all([runner, unnamed])
        db.flush()
        db.get(Task, ids["running"]).runner_id = runner.id
        db.get(Task, ids["confirm"]).runner_id = unnamed.id
        runner_id, unnamed_id = runner.id, unnamed.id
    html = html_of(admin, f"/project/{pid}/tasks/{ids['running']}")
    assert '<dd id="task-runner">dmz-1</dd>' in html
    assert json.loads(data_attribute(html, "task"))["runner_name"] == "dmz-1"  # what the page script starts from
    answer = admin.get(f"/api/project/{pid}/tasks/{ids['running']}").get_json()
    assert (answer["runner_id"], answer["runner_name"]) == (runner_id, "dmz-1")
    answer = admin.get(f"/api/project/{pid}/tasks/{ids['confirm']}").get_json()
    assert (answer["runner_id"], answer["runner_name"]) == (unnamed_id, f"#{unnamed_id}")
    assert f'<dd id="task-runner">#{unnamed_id}</dd>' in html_of(admin, f"/project/{pid}/tasks/{ids['confirm']}")
