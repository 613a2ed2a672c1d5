"""The scheduler with an injected clock, on every database: each fire time starts exactly one task,
whatever the number of scheduler instances (server processes) and restarts.

Schedules are created over the API; the scheduler is ticked by hand at chosen moments. Tasks stay
``waiting`` (no task engine runs here): what counts is which tasks were queued.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import pytest
from live_server import git_repository
from sqlalchemy import text
from task_helpers import ScriptExecutorPlugin, build_app, create_template, query

from semaphore.live import Viewer
from semaphore.scheduler.ticker import Scheduler
from semaphore.state import app_state
from semaphore.testing import make_config


@pytest.fixture
def app(script_app, tmp_path):
    app_state(script_app).config.local_repository_roots = [str(tmp_path)]  # the watched repositories
    return script_app


@pytest.fixture
def template(admin_client, project):
    return create_template(admin_client, project)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(text_time: str) -> datetime:
    return datetime.fromisoformat(text_time).replace(tzinfo=UTC)


def create_schedule(app, client, project, template, *, since_ever=True, **fields):
    """A schedule over the API; ``since_ever``: as if created long ago, so any fire time is its own."""
    response = client.post(f"{project.url}/schedules", json={"template_id": template["id"], **fields})
    assert response.status_code == 201, response.get_json()
    schedule = response.get_json()
    if since_ever:
        with app.extensions["semaphore"].db.engine.begin() as conn:
            conn.execute(text("UPDATE project__schedule SET updated = NULL WHERE id = :id"), {"id": schedule["id"]})
    return schedule


def scheduled_tasks(app, schedule_id=None):
    sql = "SELECT id, template_id, user_id, schedule_id, status, commit_hash FROM task"
    rows = query(app, sql + (" WHERE schedule_id = :sid" if schedule_id else "") + " ORDER BY id", sid=schedule_id)
    return [row._asdict() for row in rows]


def test_fires_once_at_its_minute_and_never_before(app, admin_client, project, template):
    schedule = create_schedule(app, admin_client, project, template, cron_format="30 4 * * *", name="early")
    clock = Clock(at("2026-05-04T04:29:59"))
    scheduler = Scheduler(app_state(app), clock)
    viewer = app_state(app).live.subscribe(Viewer(user_id=0, admin=True))  # what a websocket viewer receives
    assert scheduler.tick() == [] and scheduled_tasks(app) == []
    clock.now = at("2026-05-04T04:30:02")
    fired = scheduler.tick()
    assert [(f.schedule_id, f.fire_time) for f in fired] == [(schedule["id"], at("2026-05-04T04:30:00"))]
    tasks = scheduled_tasks(app)
    assert [(t["template_id"], t["user_id"], t["schedule_id"], t["status"]) for t in tasks] == [
        (template["id"], None, schedule["id"], "waiting")]
    updates = [json.loads(m) for item in viewer.take(0) for m in item.messages()]
    assert [(u["task_id"], u["status"]) for u in updates] == [(tasks[0]["id"], "waiting")]  # websocket viewers see it
    clock.now = at("2026-05-04T04:30:40")
    assert scheduler.tick() == []
    # a restarted server (a new scheduler, nothing in memory) finds the fire time claimed
    assert Scheduler(app_state(app), Clock(at("2026-05-04T04:31:00"))).tick() == []
    assert len(scheduled_tasks(app)) == 1
    clock.now = at("2026-05-05T04:30:01")
    assert len(scheduler.tick()) == 1 and len(scheduled_tasks(app)) == 2


def tick_together(schedulers):
    """Tick every scheduler at once, each in its own thread; what they fired, together."""
    start = threading.Barrier(len(schedulers))
    results = []

    def run(scheduler):
        start.wait()
        results.extend(scheduler.tick())

    threads = [threading.Thread(target=run, args=(scheduler,)) for scheduler in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_server_processes_racing_fire_once(app, config, admin_client, project, template):
    """Two apps on one database (as two server processes) tick at the same moment, in threads."""
    schedule = create_schedule(app, admin_client, project, template, cron_format="* * * * *")
    other = build_app(config, script_executor=ScriptExecutorPlugin())
    try:
        for minute in range(3):
            clock = Clock(at("2026-05-04T12:00:01") + timedelta(minutes=minute))
            results = tick_together([Scheduler(app_state(server), clock) for server in (app, other, other)])
            assert len(results) == 1, results
        assert len(scheduled_tasks(app, schedule["id"])) == 3
        assert query(app, "SELECT COUNT(*) FROM project__schedule_fire")[0][0] == 3
    finally:
        other.extensions["semaphore"].db.dispose()


def test_time_zone_of_the_schedule(app, admin_client, project, template):
    create_schedule(app, admin_client, project, template, cron_format="0 9 * * *", timezone="Europe/Berlin")
    clock = Clock(at("2026-01-15T07:59:30"))  # 08:59:30 in Berlin (CET, UTC+1)
    scheduler = Scheduler(app_state(app), clock)
    assert scheduler.tick() == []
    clock.now = at("2026-01-15T08:00:03")
    assert [f.fire_time for f in scheduler.tick()] == [at("2026-01-15T08:00:00")]
    clock.now = at("2026-07-15T07:00:03")  # summer: 09:00 CEST is 07:00 UTC
    assert [f.fire_time for f in scheduler.tick()] == [at("2026-07-15T07:00:00")]


def test_daylight_saving_changes_fire_once(app, admin_client, project, template):
    create_schedule(app, admin_client, project, template, cron_format="30 2 * * *", timezone="Europe/Berlin")
    clock = Clock(at("2026-10-25T00:30:05"))  # autumn: 02:30 CEST, first of the two 02:30s
    scheduler = Scheduler(app_state(app), clock)
    assert len(scheduler.tick()) == 1
    clock.now = at("2026-10-25T01:30:05")  # 02:30 CET, the clock shows it again
    assert scheduler.tick() == []
    assert Scheduler(app_state(app), clock).tick() == []  # nor after a restart
    clock.now = at("2026-03-29T01:10:00")  # spring: 03:10 CEST, 02:30 never happened
    assert scheduler.tick() == []
    clock.now = at("2026-03-29T01:30:02")  # fires as if the clock had not jumped: 03:30 CEST
    assert [f.fire_time for f in scheduler.tick()] == [at("2026-03-29T01:30:00")]
    assert len(scheduled_tasks(app)) == 2


def test_missed_fires_after_downtime(app, admin_client, project, template, caplog):
    schedule = create_schedule(app, admin_client, project, template, cron_format="*/10 * * * *", name="ten")
    assert len(Scheduler(app_state(app), Clock(at("2026-05-04T10:00:01"))).tick()) == 1
    # down from 10:01 to 10:52: five fire times passed, the latest is within the grace window: one run
    fired = Scheduler(app_state(app), Clock(at("2026-05-04T10:52:00"))).tick()
    assert [f.fire_time for f in fired] == [at("2026-05-04T10:50:00")]
    # down again until 11:16: the 11:10 run is 6 minutes late, beyond the grace window: skipped, said so
    with caplog.at_level(logging.WARNING, logger="semaphore.scheduler.ticker"):
        assert Scheduler(app_state(app), Clock(at("2026-05-04T11:16:00"))).tick() == []
    assert f"schedule {schedule['id']} (ten) missed its run of 2026-05-04T11:10:00+00:00" in caplog.text
    assert len(scheduled_tasks(app)) == 2


def test_a_new_or_reactivated_schedule_does_not_fire_for_earlier_times(app, admin_client, project, template):
    before = datetime.now(UTC)
    schedule = create_schedule(app, admin_client, project, template, since_ever=False, cron_format="* * * * *")
    assert Scheduler(app_state(app), Clock(before)).tick() == []  # this minute began before the schedule existed
    url = f"{project.url}/schedules/{schedule['id']}"
    assert admin_client.put(f"{url}/active", json={"active": False}).status_code == 204
    assert Scheduler(app_state(app), Clock(before + timedelta(minutes=1))).tick() == []  # off
    before = datetime.now(UTC)
    assert admin_client.put(f"{url}/active", json={"active": True}).status_code == 204
    assert Scheduler(app_state(app), Clock(before)).tick() == []
    assert len(Scheduler(app_state(app), Clock(before + timedelta(minutes=1))).tick()) == 1


def test_a_failing_schedule_does_not_stop_the_others(app, admin_client, project, template, caplog):
    broken = create_schedule(app, admin_client, project, template, cron_format="* * * * *", name="broken")
    gone = create_template(admin_client, project, name="Gone")
    create_schedule(app, admin_client, project, gone, cron_format="* * * * *", name="of a deleted template")
    assert admin_client.delete(f"{project.url}/templates/{gone['id']}").status_code == 204
    bad_repo = create_schedule(app, admin_client, project, template, cron_format="* * * * *", name="bad repo",
                               repository_id=project.repository_id)  # file:///srv/repo does not exist
    good = create_schedule(app, admin_client, project, create_template(admin_client, project, name="Good"),
                           cron_format="* * * * *", name="good")
    with app.extensions["semaphore"].db.engine.begin() as conn:  # its executor is no longer installed
        conn.execute(text("UPDATE project__template SET app = 'gone' WHERE id = :id"), {"id": template["id"]})
    with caplog.at_level(logging.WARNING, logger="semaphore.scheduler"):
        fired = Scheduler(app_state(app), Clock(at("2026-05-04T12:00:01"))).tick()
    assert {f.schedule_id: f.task_id is not None for f in fired} == {broken["id"]: False, good["id"]: True}
    assert [t["schedule_id"] for t in scheduled_tasks(app)] == [good["id"]]
    assert f"schedule {broken['id']}: no task queued" in caplog.text
    assert f"schedule {bad_repo['id']}: cannot read the branch head" in caplog.text


def commit(path, message):
    (path / "deploy.sh").write_text(f"echo {message}\n")
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-qam", message],
                   cwd=path, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_commit_schedule_runs_only_on_a_new_commit(app, admin_client, project, template, tmp_path):
    url = git_repository(tmp_path / "origin", {"deploy.sh": "echo one\n"})
    first = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path / "origin", check=True, capture_output=True,
                           text=True).stdout.strip()
    with app.extensions["semaphore"].db.engine.begin() as conn:
        conn.execute(text("UPDATE project__repository SET git_url = :url, git_branch = 'main' WHERE id = :id"),
                     {"url": url, "id": project.repository_id})
    schedule = create_schedule(app, admin_client, project, template, cron_format="*/5 * * * *", name="watch",
                               repository_id=project.repository_id)
    clock = Clock(at("2026-05-04T12:00:01"))
    scheduler = Scheduler(app_state(app), clock)
    assert len(scheduler.tick()) == 1  # the first look counts as a new commit, as in the original
    clock.now = at("2026-05-04T12:05:01")
    assert [f.task_id for f in scheduler.tick()] == [None]  # no change: decided, nothing runs
    assert Scheduler(app_state(app), clock).tick() == []  # and another server does not ask again
    clock.now = at("2026-05-04T12:07:00")
    second = commit(tmp_path / "origin", "two")
    assert scheduler.tick() == []  # a commit between fire times waits for the cron
    clock.now = at("2026-05-04T12:10:01")
    assert [f.task_id is not None for f in scheduler.tick()] == [True]
    assert [t["commit_hash"] for t in scheduled_tasks(app, schedule["id"])] == [first, second]
    assert admin_client.get(f"{project.url}/schedules/{schedule['id']}").get_json()["last_commit_hash"] == second


def test_a_commit_in_another_repository_triggers_the_templates_own_checkout(app, admin_client, project, template,
                                                                            tmp_path):
    url = git_repository(tmp_path / "watched", {"deploy.sh": "echo one\n"})
    with app.extensions["semaphore"].db.engine.begin() as conn:
        pid = project.id
        conn.execute(text("INSERT INTO project__repository (name, project_id, git_url, git_branch, ssh_key_id) "
                          "SELECT 'watched', :pid, :url, 'main', ssh_key_id FROM project__repository WHERE id = :id"),
                     {"pid": pid, "url": url, "id": project.repository_id})
    watched = query(app, "SELECT id FROM project__repository WHERE name = 'watched'")[0][0]
    schedule = create_schedule(app, admin_client, project, template, cron_format="* * * * *", repository_id=watched)
    assert [f.task_id is not None for f in Scheduler(app_state(app), Clock(at("2026-05-04T12:00:01"))).tick()] == [True]
    assert [t["commit_hash"] for t in scheduled_tasks(app, schedule["id"])] == [None]  # not a commit of its repository


def test_a_local_repository_outside_the_allowed_roots_is_not_watched(app, admin_client, project, template, tmp_path,
                                                                     caplog):
    """Saved by a non-administrator before local_repository_roots existed: no git runs on it."""
    url = git_repository(tmp_path / "origin", {"deploy.sh": "echo one\n"})
    with app.extensions["semaphore"].db.engine.begin() as conn:
        conn.execute(text("UPDATE project__repository SET git_url = :url, git_branch = 'main' WHERE id = :id"),
                     {"url": url, "id": project.repository_id})
    app_state(app).config.local_repository_roots = [str(tmp_path / "elsewhere")]
    schedule = create_schedule(app, admin_client, project, template, cron_format="* * * * *",
                               repository_id=project.repository_id)
    with caplog.at_level(logging.WARNING, logger="semaphore.scheduler"):
        assert Scheduler(app_state(app), Clock(at("2026-05-04T12:00:01"))).tick() == []
    assert f"schedule {schedule['id']}: cannot read the branch head" in caplog.text
    assert "outside local_repository_roots" in caplog.text
    assert scheduled_tasks(app, schedule["id"]) == []


def test_without_its_own_zone_a_schedule_runs_in_the_servers(app, admin_client, project, template, database_env,
                                                             tmp_path):
    create_schedule(app, admin_client, project, template, cron_format="0 9 * * *")
    tokyo = build_app(make_config(tmp_path / "tokyo", {**database_env, "SEMAPHORE_SCHEDULE_TIMEZONE": "Asia/Tokyo"}),
                      script_executor=ScriptExecutorPlugin())
    try:
        assert Scheduler(app_state(tokyo), Clock(at("2026-05-04T09:00:05"))).tick() == []  # 18:00 in Tokyo
        assert [f.fire_time for f in Scheduler(app_state(tokyo), Clock(at("2026-05-05T00:00:05"))).tick()] == [
            at("2026-05-05T00:00:00")]  # 09:00 in Tokyo (UTC+9)
    finally:
        tokyo.extensions["semaphore"].db.dispose()


def test_a_bad_row_is_logged_once_and_the_list_still_answers(app, admin_client, project, template, caplog):
    schedule = create_schedule(app, admin_client, project, template, cron_format="* * * * *")
    with app.extensions["semaphore"].db.engine.begin() as conn:  # as a hand edit or an old restore could leave it
        conn.execute(text("UPDATE project__schedule SET timezone = 'Nowhere/Else' WHERE id = :id"),
                     {"id": schedule["id"]})
    scheduler = Scheduler(app_state(app), Clock(at("2026-05-04T12:00:01")))
    with caplog.at_level(logging.ERROR, logger="semaphore.scheduler.ticker"):
        assert scheduler.tick() == [] and scheduler.tick() == []
    assert caplog.text.count(f"schedule {schedule['id']} ") == 1
    listed = admin_client.get(f"{project.url}/schedules").get_json()
    assert [(s["id"], s["next_runs"]) for s in listed] == [(schedule["id"], [])]


def test_old_claims_are_pruned_but_each_schedules_newest_stays(app, admin_client, project, template):
    schedule = create_schedule(app, admin_client, project, template, cron_format="* * * * *")
    for minute in range(3):
        assert len(Scheduler(app_state(app), Clock(at("2026-05-04T12:00:01") + timedelta(minutes=minute))).tick()) == 1
    with app.extensions["semaphore"].db.engine.begin() as conn:
        conn.execute(text("UPDATE project__schedule_fire SET created = :old"), {"old": datetime(2020, 1, 1)})
    assert Scheduler(app_state(app), Clock(at("2026-05-04T12:02:30"))).tick() == []
    kept = query(app, "SELECT schedule_id, fire_time FROM project__schedule_fire")
    assert [(row[0], str(row[1])[:16]) for row in kept] == [(schedule["id"], "2026-05-04 12:02")]
    assert len(scheduled_tasks(app)) == 3  # the tasks stay
