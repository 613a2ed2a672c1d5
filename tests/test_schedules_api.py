"""Schedules over the API, on every database. Nothing fires them here (tests/test_scheduler.py does)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from task_helpers import (
    assert_refused,
    create_project,
    create_template,
    events,
    member_client,
    query,
)


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def template(admin_client, project):
    return create_template(admin_client, project)


def create_schedule(client, project, **fields):
    response = client.post(f"{project.url}/schedules", json=fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_both_kinds_are_listed_with_the_template_name(app, admin_client, project, template):
    plain = create_schedule(admin_client, project, template_id=template["id"], cron_format="0 3 * * *",
                            name="nightly")
    commit = create_schedule(admin_client, project, template_id=template["id"], cron_format=" */5 * * * * ",
                             name="on commit", repository_id=project.repository_id, active=False)
    assert plain == {"id": plain["id"], "project_id": project.id, "template_id": template["id"],
                     "cron_format": "0 3 * * *", "name": "nightly", "active": True, "repository_id": None,
                     "last_commit_hash": None, "tpl_name": "Deploy app", "timezone": None,
                     "effective_timezone": "UTC", "next_runs": plain["next_runs"]}
    assert len(plain["next_runs"]) == 5 and all(run.endswith("T03:00:00Z") for run in plain["next_runs"])
    assert commit["next_runs"] == []  # off: it runs at no time
    assert (commit["cron_format"], commit["repository_id"], commit["active"]) == (
        "*/5 * * * *", project.repository_id, False)
    listed = admin_client.get(f"{project.url}/schedules").get_json()
    assert [s["name"] for s in listed] == ["nightly", "on commit"]
    assert all(s["tpl_name"] == "Deploy app" for s in listed)
    assert admin_client.get(f"{project.url}/schedules/{commit['id']}").get_json() == commit
    assert events(app, project.id)[-2:] == ["Schedule nightly created", "Schedule on commit created"]


@pytest.mark.parametrize(("cron", "reason"), [
    ("61 * * * *", "out of range"),
    ("* * * * 8", "out of range"),
    ("0 0 31 2 *", "can never occur"),
    ("* * * * * *", "exactly 5 fields"),
    ("* * *", "exactly 5 fields"),
    ("every day", "exactly 5 fields"),
    ("a b c d e", "not acceptable"),
    ("", "Length"),
])
def test_bad_cron_names_cron_format_with_the_reason(app, admin_client, project, template, cron, reason):
    url = f"{project.url}/schedules"
    error = assert_refused(admin_client, "POST", url, {"template_id": template["id"], "cron_format": cron},
                           "cron_format")
    assert reason.lower() in error["error"].lower()
    assert_refused(admin_client, "POST", f"{url}/validate", {"cron_format": cron}, "cron_format")
    assert query(app, "SELECT COUNT(*) FROM project__schedule")[0][0] == 0


def test_validate_accepts_good_cron(admin_client, project):
    for cron in ("*/15 * * * *", "0 9-17 * * mon-fri", "@daily"):
        response = admin_client.post(f"{project.url}/schedules/validate", json={"cron_format": cron})
        assert response.status_code == 200, (cron, response.get_json())


def test_references_must_be_in_the_project(app, admin_client, project, template):
    other = create_project(app, admin_client, "Other")
    other_template = create_template(admin_client, other)
    url = f"{project.url}/schedules"
    good = {"template_id": template["id"], "cron_format": "* * * * *"}
    assert_refused(admin_client, "POST", url, {"cron_format": "* * * * *"}, "template_id")
    assert_refused(admin_client, "POST", url, {**good, "template_id": other_template["id"]}, "template_id")
    assert_refused(admin_client, "POST", url, {**good, "repository_id": other.repository_id}, "repository_id")
    assert_refused(admin_client, "POST", url, {**good, "active": "sometimes"}, "active")
    assert_refused(admin_client, "POST", url, {**good, "project_id": other.id}, "project_id")
    assert admin_client.get(url).get_json() == []


def test_update_resets_the_commit_hash_and_active_toggles(app, admin_client, project, template):
    schedule = create_schedule(admin_client, project, template_id=template["id"], cron_format="* * * * *",
                               name="watch", repository_id=project.repository_id)
    url = f"{project.url}/schedules/{schedule['id']}"
    with app.extensions["semaphore"].db.engine.begin() as conn:
        conn.execute(text("UPDATE project__schedule SET last_commit_hash = 'abc123'"))
    assert admin_client.get(url).get_json()["last_commit_hash"] == "abc123"
    response = admin_client.put(url, json={**schedule, "cron_format": "0 * * * *", "name": "hourly watch"})
    assert response.status_code == 204, response.get_json()
    updated = admin_client.get(url).get_json()
    assert (updated["cron_format"], updated["name"], updated["last_commit_hash"]) == ("0 * * * *", "hourly watch", None)
    assert_refused(admin_client, "PUT", url, {**schedule, "cron_format": "0 25 * * *"}, "cron_format")
    assert_refused(admin_client, "PUT", url, {**schedule, "id": schedule["id"] + 1}, "id")

    assert admin_client.put(f"{url}/active", json={"active": False}).status_code == 204
    assert admin_client.get(url).get_json()["active"] is False
    assert admin_client.put(f"{url}/active", json={"active": True}).status_code == 204
    assert admin_client.get(url).get_json()["active"] is True
    assert_refused(admin_client, "PUT", f"{url}/active", {}, "active")
    assert admin_client.put(f"{project.url}/schedules/999999/active", json={"active": True}).status_code == 404
    assert events(app, project.id)[-3:] == ["Schedule hourly watch updated"] * 3


def test_delete_and_roles(app, admin_client, project, template):
    schedule = create_schedule(admin_client, project, template_id=template["id"], cron_format="* * * * *")
    url = f"{project.url}/schedules/{schedule['id']}"
    runner = member_client(app, admin_client, project, "runner", "task_runner")
    assert runner.get(url).status_code == 200
    assert runner.post(f"{project.url}/schedules", json={"template_id": template["id"],
                                                         "cron_format": "* * * * *"}).status_code == 403
    assert runner.put(f"{url}/active", json={"active": False}).status_code == 403
    assert runner.post(f"{project.url}/schedules/validate", json={"cron_format": "* * * * *"}).status_code == 403
    assert runner.delete(url).status_code == 403
    assert admin_client.delete(url).status_code == 204
    assert admin_client.get(url).status_code == 404
    assert events(app, project.id)[-1] == f"Schedule ID {schedule['id']} deleted"


def test_time_zone_per_schedule_and_next_runs(app, admin_client, project, template):
    berlin = create_schedule(admin_client, project, template_id=template["id"], cron_format="0 9 * * *",
                             timezone="Europe/Berlin")
    assert (berlin["timezone"], berlin["effective_timezone"]) == ("Europe/Berlin", "Europe/Berlin")
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer
    assert all(run[11:] in ("08:00:00Z", "07:00:00Z") for run in berlin["next_runs"])
    url = f"{project.url}/schedules"
    error = assert_refused(admin_client, "POST", url, {"template_id": template["id"], "cron_format": "* * * * *",
                                                      "timezone": "Mars/Olympus"}, "timezone")
    assert "Mars/Olympus" in error["error"]
    response = admin_client.put(f"{url}/{berlin['id']}", json={**berlin, "timezone": ""})
    assert response.status_code == 204, response.get_json()
    assert admin_client.get(f"{url}/{berlin['id']}").get_json()["effective_timezone"] == "UTC"


def test_validate_answers_the_next_runs(admin_client, project):
    url = f"{project.url}/schedules/validate"
    answer = admin_client.post(url, json={"cron_format": "30 6 * * 1", "timezone": "America/New_York"}).get_json()
    assert answer["timezone"] == "America/New_York" and len(answer["next_runs"]) == 5
    assert all(run[11:] in ("10:30:00Z", "11:30:00Z") for run in answer["next_runs"])  # EDT / EST
    assert admin_client.post(url, json={"cron_format": "0 0 1 1 *"}).get_json()["timezone"] == "UTC"
    assert_refused(admin_client, "POST", url, {"cron_format": "* * * * *", "timezone": "Nowhere"}, "timezone")
