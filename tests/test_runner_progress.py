"""A runner's progress reports (PUT /api/internal/runners) on every database: log records stored
once each (a report sent again duplicates no line), the commit, status changes through the guard,
jobs that are not the runner's ignored, the runner's apps and version, and jobs a restarted runner
reports lost: given back, ended, or left to the next hand-over."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from runner_helpers import registration_body
from sqlalchemy import select

from semaphore.db.models import Runner, Task, TaskOutput, Template
from semaphore.db.types import utcnow

URL = "/api/internal/runners"
GLOBAL = "progress registration token"


@pytest.fixture
def setup(app, project):
    """A registered runner, its token, and a task of its in status starting."""
    app.extensions["semaphore"].config.runners.registration_token = GLOBAL
    client = app.test_client()
    answer = client.post(URL, json=registration_body(GLOBAL)).get_json()
    with app.extensions["semaphore"].db.session() as db:
        template = Template(name="remote", project_id=project.id, playbook="x", repository_id=project.repository_id,
                            inventory_id=project.inventory_id, environment_id=project.environment_id)
        db.add(template)
        db.flush()
        task = Task(project_id=project.id, template_id=template.id, status="starting", message="",
                    runner_id=answer["id"])
        other = Task(project_id=project.id, template_id=template.id, status="starting", message="")
        db.add_all([task, other])
        db.commit()
        ids = {"runner_id": answer["id"], "task_id": task.id, "other_task_id": other.id}
    return client, {"X-Runner-Token": answer["token"]}, ids


def _records(*seqs):
    return [{"seq": seq, "time": "2026-12-07T23:00:00.000001Z", "message": f"line {seq}"} for seq in seqs]


def _task_state(app, task_id):
    with app.extensions["semaphore"].db.session() as db:
        task = db.get(Task, task_id)
        lines = [(row.seq, row.output) for row in
                 db.scalars(select(TaskOutput).where(TaskOutput.task_id == task_id).order_by(TaskOutput.seq))]
        return task.status, lines, task.commit_hash, task.commit_message, task.start, task.end


def test_log_lines_are_stored_once_and_the_status_follows(app, setup):
    client, headers, ids = setup
    first = {"Jobs": [{"ID": ids["task_id"], "Status": "running", "LogRecords": _records(1, 2, 3),
                       "Commit": {"hash": "abc123", "message": "Deploy"}}]}
    assert client.put(URL, json=first, headers=headers).status_code == 204
    status, lines, commit_hash, commit_message, start, _end = _task_state(app, ids["task_id"])
    assert (status, lines, commit_hash, commit_message) == ("running", [(1, "line 1"), (2, "line 2"), (3, "line 3")],
                                                           "abc123", "Deploy")
    assert start is not None

    # The answer to the first report was lost: the runner sends it again with what came since.
    again = {"Jobs": [{"ID": ids["task_id"], "Status": "success", "LogRecords": _records(2, 3, 4, 4)}]}
    assert client.put(URL, json=again, headers=headers).status_code == 204
    status, lines, *_rest, end = _task_state(app, ids["task_id"])
    assert status == "success" and end is not None
    assert lines == [(1, "line 1"), (2, "line 2"), (3, "line 3"), (4, "line 4")]

    late = {"Jobs": [{"ID": ids["task_id"], "Status": "running"}]}  # a finished task stays finished
    assert client.put(URL, json=late, headers=headers).status_code == 204
    assert _task_state(app, ids["task_id"])[0] == "success"


def _chunk(first, *lines):
    return {"seq": first, "time": "2026-12-07T23:00:00.000001Z", "lines": list(lines)}


def test_log_chunks_are_stored_line_by_line_once_whatever_overlaps(app, setup):
    """The runner's compact form: a chunk numbers its lines on from its seq. A chunk sent again,
    partly stored, or overlapping another of the same report stores each line once, the first wins."""
    client, headers, ids = setup
    first = {"Jobs": [{"ID": ids["task_id"], "Status": "running", "LogChunks": [_chunk(1, "a", "b"), _chunk(3, "c")]}]}
    assert client.put(URL, json=first, headers=headers).status_code == 204
    again = {"Jobs": [{"ID": ids["task_id"], "LogChunks": [_chunk(2, "b", "c", "d", "e"), _chunk(5, "E", "f")],
                       "LogRecords": [{"seq": 7, "time": "2026-12-07T23:00:01Z", "message": "g"}]}]}
    assert client.put(URL, json=again, headers=headers).status_code == 204
    assert _task_state(app, ids["task_id"])[1] == [(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e"), (6, "f"),
                                                   (7, "g")]


def test_a_late_running_does_not_undo_a_stop(app, setup):
    client, headers, ids = setup
    with app.extensions["semaphore"].db.session() as db:
        db.get(Task, ids["task_id"]).status = "stopping"
        db.commit()
    assert client.put(URL, json={"Jobs": [{"ID": ids["task_id"], "Status": "running"}]},
                      headers=headers).status_code == 204
    assert _task_state(app, ids["task_id"])[0] == "stopping"
    assert client.put(URL, json={"Jobs": [{"ID": ids["task_id"], "Status": "stopped"}]},
                      headers=headers).status_code == 204
    assert _task_state(app, ids["task_id"])[0] == "stopped"


def test_a_job_that_is_not_the_runners_is_ignored_and_the_rest_applies(app, setup):
    client, headers, ids = setup
    report = {"Jobs": [{"ID": ids["other_task_id"], "Status": "error", "LogRecords": _records(1)},
                       {"ID": 999_999, "Status": "error"},
                       {"ID": ids["task_id"], "Status": "running", "LogRecords": _records(1)}]}
    assert client.put(URL, json=report, headers=headers).status_code == 204
    assert _task_state(app, ids["other_task_id"])[:2] == ("starting", [])
    assert _task_state(app, ids["task_id"])[:2] == ("running", [(1, "line 1")])


def test_the_runner_reports_its_apps_and_version(app, setup):
    client, headers, ids = setup
    assert client.put(URL, json={"apps": ["bash", "terraform"], "version": "2.0", "Jobs": None},
                      headers=headers).status_code == 204
    with app.extensions["semaphore"].db.session() as db:
        runner = db.get(Runner, ids["runner_id"])
        assert (json.loads(runner.apps), runner.version) == (["bash", "terraform"], "2.0")


def _set(app, task_id, **values):
    with app.extensions["semaphore"].db.session() as db:
        task = db.get(Task, task_id)
        for name, value in values.items():
            setattr(task, name, value)
        db.commit()


def _lost(*task_ids):
    return {"Jobs": [{"ID": task_id, "Lost": True} for task_id in task_ids]}


def test_a_lost_job_that_was_starting_waits_again_for_any_runner(app, setup):
    client, headers, ids = setup  # confirmed: the runner had reported on it (no hand-over time)
    assert client.put(URL, json=_lost(ids["task_id"]), headers=headers).status_code == 204
    with app.extensions["semaphore"].db.session() as db:
        task = db.get(Task, ids["task_id"])
        assert (task.status, task.runner_id, task.heartbeat) == ("waiting", None, None)


def test_a_lost_job_whose_hand_over_is_unconfirmed_is_left_to_be_handed_over_again(app, setup):
    client, headers, ids = setup
    handed = utcnow() - timedelta(seconds=1)
    _set(app, ids["task_id"], heartbeat=handed)
    assert client.put(URL, json=_lost(ids["task_id"]), headers=headers).status_code == 204
    with app.extensions["semaphore"].db.session() as db:
        task = db.get(Task, ids["task_id"])
        assert (task.status, task.runner_id) == ("starting", ids["runner_id"])
        assert task.heartbeat is not None  # still unconfirmed: the poll hands it over again


@pytest.mark.parametrize(("status", "final"), [("running", "error"), ("waiting_confirmation", "error"),
                                               ("confirmed", "error"), ("stopping", "stopped")])
def test_a_lost_job_further_on_ends_naming_the_runner_with_its_output_kept(app, setup, status, final):
    client, headers, ids = setup
    report = {"Jobs": [{"ID": ids["task_id"], "Status": "running", "LogRecords": _records(1, 2)}]}
    assert client.put(URL, json=report, headers=headers).status_code == 204
    _set(app, ids["task_id"], status=status, secret="sealed secret")
    assert client.put(URL, json=_lost(ids["task_id"]), headers=headers).status_code == 204
    state, lines, *_rest, end = _task_state(app, ids["task_id"])
    assert state == final and end is not None
    assert lines[:2] == [(1, "line 1"), (2, "line 2")]
    runner = f"'runner-{ids['runner_id']}' (id {ids['runner_id']})"
    assert lines[-1][1] == f"Task failed: its runner {runner} restarted and no longer runs it."
    with app.extensions["semaphore"].db.session() as db:
        assert db.get(Task, ids["task_id"]).secret is None


def test_a_lost_job_not_the_runners_or_finished_is_left_alone(app, setup):
    client, headers, ids = setup
    finished = {"Jobs": [{"ID": ids["task_id"], "Status": "success", "LogRecords": _records(1)}]}
    assert client.put(URL, json=finished, headers=headers).status_code == 204
    lost = _lost(ids["task_id"], ids["other_task_id"], 999_999)
    assert client.put(URL, json=lost, headers=headers).status_code == 204
    assert _task_state(app, ids["task_id"])[:2] == ("success", [(1, "line 1")])
    assert _task_state(app, ids["other_task_id"])[:2] == ("starting", [])


@pytest.mark.parametrize(("job", "field"), [
    ({"ID": 1, "Lost": "yes"}, "Jobs.0.Lost"),
    ({"ID": 1, "Lost": 1}, "Jobs.0.Lost"),
    ({"ID": 1, "Lost": True, "Status": "running"}, "Jobs.0.Lost"),
    ({"ID": 1, "Lost": True, "LogChunks": [_chunk(1, "x")]}, "Jobs.0.Lost"),
    ({"ID": 1, "Status": "confirmed"}, "Jobs.0.Status"),
    ({"ID": "1"}, "Jobs.0.ID"),
    ({"ID": 1, "LogRecords": [{"seq": 0, "time": "2026-12-07T23:00:00Z", "message": "x"}]}, "Jobs.0.LogRecords.0.seq"),
    ({"ID": 1, "LogRecords": [{"seq": 1, "time": "yesterday", "message": "x"}]}, "Jobs.0.LogRecords.0.time"),
    ({"ID": 1, "LogRecords": [{"seq": 1, "time": "0001-01-01T00:00:00+14:00", "message": "x"}]},
     "Jobs.0.LogRecords.0.time"),
    ({"ID": 1, "LogChunks": [_chunk(1, "x"), {"seq": 2, "time": "yesterday", "lines": ["y"]}]},
     "Jobs.0.LogChunks.1.time"),
    ({"ID": 1, "LogChunks": [{**_chunk(1, "x"), "time": "0001-01-01T00:00:00+14:00"}]}, "Jobs.0.LogChunks.0.time"),
    ({"ID": 1, "LogChunks": [_chunk(0, "x")]}, "Jobs.0.LogChunks.0.seq"),
    ({"ID": 1, "LogChunks": [{**_chunk(1, "x"), "seq": True}]}, "Jobs.0.LogChunks.0.seq"),
    ({"ID": 1, "LogChunks": [_chunk(2**63 - 1, "x", "y")]}, "Jobs.0.LogChunks.0.lines"),
    ({"ID": 1, "LogChunks": [_chunk(1, "x", 7)]}, "Jobs.0.LogChunks.0.lines"),
    ({"ID": 1, "LogChunks": [_chunk(1, "x" * (1024 * 1024 + 1))]}, "Jobs.0.LogChunks.0.lines"),
    ({"ID": 1, "LogChunks": [_chunk(1, "nul \x00 in a line")]}, "Jobs.0.LogChunks.0.lines.0"),
    ({"ID": 1, "LogChunks": ["x"]}, "Jobs.0.LogChunks.0"),
    ({"ID": 1, "LogChunks": {"seq": 1}}, "Jobs.0.LogChunks"),
    ({"ID": 1, "LogChunks": [_chunk(1, *["x"] * 50_000), _chunk(50_001, "one too many")]}, "Jobs.0.LogChunks"),
])
def test_a_bad_report_is_400_naming_the_field_and_changes_nothing(app, setup, job, field):
    client, headers, ids = setup
    job = {**job, "ID": ids["task_id"]} if job["ID"] == 1 else job
    response = client.put(URL, json={"Jobs": [job]}, headers=headers)
    assert response.status_code == 400 and response.get_json()["field"] == field, response.get_json()
    assert _task_state(app, ids["task_id"])[:2] == ("starting", [])


@pytest.mark.parametrize("headers", [{}, {"X-Runner-Token": "wrong"}])
def test_a_report_without_the_runners_token_is_401_and_changes_nothing(app, setup, headers):
    client, _headers, ids = setup
    response = client.put(URL, json={"Jobs": [{"ID": ids["task_id"], "Status": "error"}]}, headers=headers)
    assert response.status_code == 401 and set(response.get_json()) == {"error"}
    assert _task_state(app, ids["task_id"])[0] == "starting"


@pytest.mark.parametrize("body", [{"Jobs": "not a list"}, ["not", "an", "object"]])
def test_the_token_is_checked_before_the_body_is_read(setup, body):
    """A caller without a runner's token learns nothing about how reports are validated."""
    client, _headers, _ids = setup
    for method in ("PUT", "DELETE"):
        response = client.open(URL, method=method, json=body, headers={"X-Runner-Token": "wrong"})
        assert response.status_code == 401 and set(response.get_json()) == {"error"}, (method, response.get_json())
