"""The node table on every database: a node's life (register, heartbeat, clean stop, death by
silence), draining through the admin API (drained once its last task ended), the list admins see,
and rows of long-gone nodes forgotten."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from task_helpers import create_project, create_template

from semaphore.cluster import nodes
from semaphore.db.models import Event, Node, Task
from semaphore.db.types import utcnow
from semaphore.state import app_state
from semaphore.version import __version__


def _db(app):
    return app_state(app).db.session()


def _age(app, node_id: str, seconds: float) -> None:
    with _db(app) as db:
        db.execute(update(Node).where(Node.id == node_id).values(heartbeat=utcnow() - timedelta(seconds=seconds)))
        db.commit()


def test_a_node_is_alive_until_it_stops_or_misses_its_heartbeats(app):
    with _db(app) as db:
        nodes.register(db, "n1")
        assert nodes.alive_ids(db, {"n1", "never-registered"}) == {"n1"}
    _age(app, "n1", nodes.NODE_TIMEOUT_SECONDS + 1)
    with _db(app) as db:
        assert nodes.alive_ids(db, {"n1"}) == set()
        nodes.beat(db, "n1")
        assert nodes.alive_ids(db, {"n1"}) == {"n1"}
        nodes.mark_stopped(db, "n1")
        assert nodes.alive_ids(db, {"n1"}) == set()
        nodes.register(db, "n1")  # a restart with the same ha.node_id is a new life
        assert nodes.alive_ids(db, {"n1"}) == {"n1"}
        row = db.get(Node, "n1")
        assert (row.version, row.stopped, row.pid > 0, bool(row.host)) == (__version__, None, True, True)


def test_rows_of_long_gone_nodes_are_forgotten_and_a_forgotten_live_node_registers_again(app):
    with _db(app) as db:
        nodes.register(db, "old")
        nodes.register(db, "frozen")
    _age(app, "old", nodes.FORGET_AFTER.total_seconds() + 60)
    with _db(app) as db:
        nodes.register(db, "new")
        assert set(db.scalars(select(Node.id))) == {"frozen", "new"}
        db.execute(Node.__table__.delete().where(Node.id == "frozen"))
        db.commit()
        nodes.beat(db, "frozen")
        assert nodes.alive_ids(db, {"frozen"}) == {"frozen"}


def test_a_draining_node_is_drained_once_its_last_task_ended_and_resuming_clears_both(app, admin_client):
    project = create_project(app, admin_client)
    template_id = create_template(admin_client, project)["id"]
    with _db(app) as db:
        nodes.register(db, "worker-1")
        task = Task(project_id=project.id, template_id=template_id, status="running", claimed_by="worker-1")
        db.add(task)
        db.commit()
        task_id = task.id

    assert admin_client.post("/api/nodes/worker-1/drain", json={"draining": True}).status_code == 204
    with _db(app) as db:
        assert nodes.is_draining(db, "worker-1")
        nodes.beat(db, "worker-1")
        assert db.get(Node, "worker-1").drained is None  # its task still runs
    [listed] = admin_client.get("/api/nodes").get_json()
    assert (listed["id"], listed["online"], listed["draining"], listed["drained"], listed["running_tasks"]) == (
        "worker-1", True, True, None, 1)

    with _db(app) as db:
        db.execute(update(Task).where(Task.id == task_id).values(status="success"))
        db.commit()
        nodes.beat(db, "worker-1")
    [listed] = admin_client.get("/api/nodes").get_json()
    assert listed["draining"] is True and listed["drained"] and listed["running_tasks"] == 0

    assert admin_client.post("/api/nodes/worker-1/drain", json={"draining": False}).status_code == 204
    [listed] = admin_client.get("/api/nodes").get_json()
    assert (listed["draining"], listed["drained"]) == (False, None)
    with _db(app) as db:
        described = list(db.scalars(select(Event.description).where(Event.object_type == "node").order_by(Event.id)))
    assert described == ["Node worker-1 draining", "Node worker-1 resumed"]


def test_the_list_shows_live_nodes_first_with_what_each_runs(app, admin_client):
    with _db(app) as db:
        for node_id in ("stopped", "silent", "live"):
            nodes.register(db, node_id)
        nodes.mark_stopped(db, "stopped")
    _age(app, "silent", nodes.NODE_TIMEOUT_SECONDS + 1)
    listed = admin_client.get("/api/nodes").get_json()
    assert [(node["id"], node["online"]) for node in listed][0] == ("live", True)
    assert {node["id"]: node["online"] for node in listed} == {"live": True, "stopped": False, "silent": False}
    assert next(node for node in listed if node["id"] == "stopped")["stopped"]
    assert set(listed[0]) == {"id", "host", "pid", "version", "started", "heartbeat", "online", "draining",
                              "drained", "stopped", "running_tasks"}
