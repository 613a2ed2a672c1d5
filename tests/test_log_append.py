"""Lines appended to a finished task's log from outside its run (alert outcomes), by several
writers at once as several server processes do: every line is stored once, numbered without gaps,
each writer's lines together; a deleted task takes no lines. On every database."""

from __future__ import annotations

import threading

from task_helpers import ScriptExecutorPlugin, build_app, create_project, create_template, query, run_task

from semaphore.db.models import Task
from semaphore.engine.log_append import append_lines
from semaphore.state import app_state
from semaphore.testing import create_user_row, log_in


def test_concurrent_writers_append_every_line_once_in_contiguous_order(config):
    app = build_app(config, script_executor=ScriptExecutorPlugin())
    try:
        create_user_row(app, "admin", admin=True)
        client = log_in(app.test_client(), "admin")
        project = create_project(app, client)
        task = run_task(client, project, create_template(client, project)["id"])

        def writer(name):
            for n in range(8):
                assert append_lines(app_state(app), task["id"], project.id, [f"{name} {n} sending", f"{name} {n} sent"])

        threads = [threading.Thread(target=writer, args=(name,)) for name in ("slack", "email", "teams")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        stored = query(app, "SELECT seq, output FROM task__output WHERE task_id = :t ORDER BY seq", t=task["id"])
        assert [seq for seq, _ in stored] == list(range(1, 49))
        outputs = [output for _, output in stored]
        assert sorted(outputs) == sorted(f"{name} {n} {what}" for name in ("slack", "email", "teams")
                                         for n in range(8) for what in ("sending", "sent"))
        for first, second in zip(outputs[::2], outputs[1::2], strict=True):  # each call's lines stay together
            assert first.replace("sending", "sent") == second

        with app_state(app).db.session() as db:
            db.delete(db.get(Task, task["id"]))
        assert not append_lines(app_state(app), task["id"], project.id, ["too late"])
    finally:
        app_state(app).db.dispose()
