"""A `* * * * *` schedule in real time, over two real `semaphore server` processes on one
PostgreSQL database: every minute exactly one task starts, whichever server claims it.

It waits for two minute boundaries (up to about two minutes). The servers tick every second
(SEMAPHORE_SCHEDULE_TICK_SECONDS) so a fire is claimed within a second of its minute.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from live_server import ADMIN, Api, bash_template
from process_helpers import servers_on_one_database

MARGIN = 8  # seconds after a boundary by which its task must be queued (and no second one)


@pytest.fixture
def servers(database_env, tmp_path):
    env = {**database_env, **ADMIN, "SEMAPHORE_SCHEDULE_TICK_SECONDS": "1"}
    with servers_on_one_database(tmp_path, env) as started:
        yield started


def seconds_to_next_minute() -> float:
    now = time.time()
    return 60 - now % 60


@pytest.mark.parametrize("dialect", ["postgres"], indirect=True)
def test_every_minute_one_task_with_two_servers_on_one_database(servers, tmp_path):
    one, two = servers
    api = Api.logged_in(one.url)
    pid, template_id = bash_template(api, tmp_path / "scripts", "quick.sh", "echo scheduled run\n",
                                     project={"name": "Cron"}, template="quick")
    if seconds_to_next_minute() < 3:  # too close to call which minute the schedule starts in
        time.sleep(seconds_to_next_minute() + 0.5)
    schedule = api.created(f"/api/project/{pid}/schedules", {
        "template_id": template_id, "cron_format": "* * * * *", "name": "every minute"})
    first_boundary = datetime.fromisoformat(schedule["next_runs"][0])

    tasks_seen = []
    for boundary in range(2):
        time.sleep(seconds_to_next_minute() + MARGIN)
        status, tasks = Api(two.url, api.token)("GET", f"/api/project/{pid}/tasks")
        assert status == 200, tasks
        tasks_seen = [task for task in tasks if task["template_id"] == template_id]
        assert len(tasks_seen) == boundary + 1, (tasks_seen, one.stderr, two.stderr)

    minutes = sorted(datetime.fromisoformat(task["created"]).astimezone(UTC).replace(second=0, microsecond=0)
                     for task in tasks_seen)
    assert minutes == [first_boundary, first_boundary + timedelta(minutes=1)]
    for task in tasks_seen:
        assert task["schedule_id"] == schedule["id"] and task["user_id"] is None
        finished = api.wait_for_status(pid, task["id"], {"success", "error"})
        assert finished["status"] == "success", api.output(pid, task["id"])
        assert "scheduled run" in api.output(pid, task["id"])
    fired_by = [line for server in servers for line in server.stderr.splitlines() if "fired for" in line]
    assert len(fired_by) == 2, fired_by
