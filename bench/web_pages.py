"""Web pages with a big project: 1,000 templates, 100,000 tasks (one of them with a 100,000-line
log), 5,000 activity events, and 50 of every other kind of object.

Every page of the web blueprint (read from the app's URL map, so a page added later is measured
without a line here) plus the paged and filtered variants a user clicks, each rendered 10 times by
the real app in-process (Flask's test client: server time only, no network), with the number of
SQL statements each render sends. The targets: the median render under 200 ms, and a bounded number
of statements per page (an N+1 query shows up as one statement per row: 50 or more).

    .venv/bin/python bench/web_pages.py
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import Report, temporary_directory
from sqlalchemy import event, insert

REPO_ROOT = Path(__file__).resolve().parent.parent

TEMPLATES = 1_000
TASKS = 100_000
LOG_LINES = 100_000
OTHERS = 50
EVENTS = 5_000
RENDERS = 10
TARGET_MS = 200.0
MAX_STATEMENTS = 25
STATUSES = ("success", "success", "success", "error", "stopped", "success", "error")

# Extra variants of listed pages: search, filters, views, later pages.
VARIANTS = ("/project/{project_id}/templates?q=deploy+7", "/project/{project_id}/templates?view={view_id}",
            "/project/{project_id}/history?status=error", "/project/{project_id}/history?page=50",
            "/project/{project_id}/templates/{template_id}?status=success")


def seed(app: Any) -> dict[str, int]:
    """Fill the database in bulk; returns the ids the page routes need."""
    from semaphore.db import models as m
    from semaphore.testing import create_user_row

    admin_id = create_user_row(app, "admin", admin=True)
    rng = random.Random(7)
    now = datetime.now(UTC)
    engine = app.extensions["semaphore"].db.engine
    with engine.begin() as conn:
        def bulk(model: Any, rows: list[dict[str, Any]]) -> None:
            conn.execute(insert(model.__table__), rows)

        user_ids = [admin_id, *(conn.execute(insert(m.User.__table__).values(
            username=f"user{i}", email=f"user{i}@example.test", name=f"User {i}", admin=False,
            password="x")).inserted_primary_key[0] for i in range(OTHERS))]
        project_id = conn.execute(insert(m.Project.__table__).values(name="Big", created=now)).inserted_primary_key[0]
        bulk(m.ProjectUser, [{"project_id": project_id, "user_id": uid, "role": "owner" if uid == admin_id else "guest"}
                             for uid in user_ids])
        bulk(m.AccessKey, [{"name": f"key {i}", "type": "none", "project_id": project_id} for i in range(OTHERS)])
        key_id = conn.execute(m.AccessKey.__table__.select().limit(1)).first().id
        bulk(m.Repository, [{"name": f"repo {i}", "project_id": project_id, "git_url": f"/srv/repo{i}",
                             "git_branch": "main", "ssh_key_id": key_id} for i in range(OTHERS)])
        repository_id = conn.execute(m.Repository.__table__.select().limit(1)).first().id
        bulk(m.Inventory, [{"name": f"hosts {i}", "project_id": project_id, "type": "static",
                            "inventory": "localhost", "ssh_key_id": key_id} for i in range(OTHERS)])
        inventory_id = conn.execute(m.Inventory.__table__.select().limit(1)).first().id
        bulk(m.Environment, [{"name": f"vars {i}", "project_id": project_id, "json": "{}"} for i in range(OTHERS)])
        environment_id = conn.execute(m.Environment.__table__.select().limit(1)).first().id
        bulk(m.View, [{"project_id": project_id, "title": f"view {i}", "position": i} for i in range(5)])
        view_ids = [row.id for row in conn.execute(m.View.__table__.select())]
        bulk(m.Template, [{
            "project_id": project_id, "name": f"{rng.choice(('deploy', 'build', 'check'))} {i}",
            "app": "ansible" if i % 2 else "bash", "playbook": "site.yml" if i % 2 else "run.sh",
            "repository_id": repository_id, "inventory_id": inventory_id, "environment_id": environment_id,
            "view_id": view_ids[i % len(view_ids)] if i % 3 else None, "type": ""} for i in range(TEMPLATES)])
        template_ids = [row.id for row in conn.execute(m.Template.__table__.select())]
        bulk(m.Schedule, [{"project_id": project_id, "template_id": template_ids[i], "cron_format": "*/5 * * * *",
                           "name": f"every 5 min {i}", "active": True} for i in range(OTHERS)])
        bulk(m.Integration, [{"project_id": project_id, "template_id": template_ids[i], "name": f"hook {i}"}
                             for i in range(OTHERS)])
        integration_id = conn.execute(m.Integration.__table__.select().limit(1)).first().id
        bulk(m.IntegrationMatcher, [{"integration_id": integration_id, "name": f"match {i}", "match_type": "header",
                                     "key": "X-Event", "value": f"push {i}"} for i in range(OTHERS)])
        bulk(m.IntegrationExtractValue, [{"integration_id": integration_id, "name": f"value {i}",
                                          "value_source": "body", "body_data_type": "json", "key": f"a.b{i}",
                                          "variable": f"var_{i}"} for i in range(OTHERS)])
        bulk(m.IntegrationAlias, [{"project_id": project_id, "integration_id": integration_id,
                                   "alias": f"alias{i:044d}"} for i in range(OTHERS)])
        for start in range(0, TASKS, 10_000):
            rows = []
            for i in range(start, min(start + 10_000, TASKS)):
                created = now - timedelta(minutes=TASKS - i)
                rows.append({"project_id": project_id, "template_id": template_ids[i % TEMPLATES],
                             "status": STATUSES[i % len(STATUSES)], "user_id": user_ids[i % len(user_ids)],
                             "created": created, "start": created, "end": created + timedelta(seconds=30),
                             "message": f"change {i}"})
            bulk(m.Task, rows)
        task_id = max(row.id for row in conn.execute(m.Task.__table__.select().order_by(m.Task.id.desc()).limit(1)))
        for start in range(0, LOG_LINES, 20_000):
            bulk(m.TaskOutput, [{"task_id": task_id, "seq": seq, "time": now, "output": f"line {seq} \x1b[32mok\x1b[0m"}
                                for seq in range(start + 1, min(start + 20_000, LOG_LINES) + 1)])
        bulk(m.TaskHostResult, [{"task_id": task_id, "host": f"web{i}", "ok": 5, "changed": 1, "failures": "[]"}
                                for i in range(20)])
        bulk(m.Event, [{"created": now - timedelta(seconds=i), "user_id": admin_id, "project_id": project_id,
                        "object_type": "task", "object_id": i, "description": f"Task {i} created"}
                       for i in range(EVENTS)])
    return {"project_id": project_id, "template_id": template_ids[0], "task_id": task_id, "key_id": key_id,
            "inventory_id": inventory_id, "environment_id": environment_id, "repository_id": repository_id,
            "view_id": view_ids[0], "user_id": user_ids[1],
            "schedule_id": 1, "integration_id": integration_id}


def page_paths(app: Any, ids: dict[str, int]) -> tuple[list[str], list[str]]:
    """Every web page with its parameters filled from the seeded ids, and the pages that could not be."""
    paths, unmeasured = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("web.") or rule.endpoint == "web.static":
            continue
        missing = [name for name in rule.arguments if not ids.get(name)]
        if missing:
            unmeasured.append(f"{rule.rule} (no {', '.join(missing)} in the seed)")
            continue
        paths.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda found: str(ids[found.group(1)]), rule.rule))
    return paths + [variant.format(**ids) for variant in VARIANTS], unmeasured


def measure(client: Any, engine: Any, path: str) -> tuple[int, float, float, int]:
    """(status, median ms, max ms, SQL statements of one render)."""
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    client.get(path)  # warm: templates compiled, caches filled
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    times, status = [], 0
    for _ in range(RENDERS):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    return status, statistics.median(times), max(times), len(statements)


def main() -> int:
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from semaphore.app import create_app
    from semaphore.db.engine import create_db_engine
    from semaphore.db.migrate import upgrade
    from semaphore.testing import log_in, make_config

    report = Report(f"web pages: {TEMPLATES:,} templates, {TASKS:,} tasks, a {LOG_LINES:,}-line log (SQLite)")
    with temporary_directory("semaphore-bench-web-") as directory:
        config = make_config(directory, {"SEMAPHORE_DB_HOST": str(directory / "bench.sqlite")})
        engine = create_db_engine(config)
        upgrade(engine)
        engine.dispose()
        app = create_app(config)
        try:
            started = time.perf_counter()
            ids = seed(app)
            report.info("seeding", f"{time.perf_counter() - started:.1f} s")
            client = log_in(app.test_client(), "admin")
            paths, unmeasured = page_paths(app, ids)
            engine = app.extensions["semaphore"].db.engine
            for path in paths:
                status, median_ms, max_ms, statements = measure(client, engine, path)
                report.check(f"{path} median", f"{median_ms:.1f} ms (max {max_ms:.1f}, HTTP {status})",
                             f"< {TARGET_MS:.0f} ms", status < 400 and median_ms < TARGET_MS)
                report.check(f"{path} SQL statements", str(statements), f"<= {MAX_STATEMENTS}",
                             statements <= MAX_STATEMENTS)
            for line in unmeasured:
                report.info("not measured", line)
        finally:
            app.extensions["semaphore"].db.dispose()
    return report.finish()


if __name__ == "__main__":
    raise SystemExit(main())
