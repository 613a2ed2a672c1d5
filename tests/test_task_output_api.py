"""Task output over the API, on every database: the original's JSON shape a page at a time (with a
default page size and a Link to the next page), and the whole log as a plain-text download."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from task_helpers import assert_refused, create_project, create_template, member_client, run_task

from semaphore.schemas.tasks import MAX_OUTPUT_PAGE, OUTPUT_PAGE
from semaphore.services.tasks import RAW_OUTPUT_PAGE
from semaphore.state import app_state
from semaphore.tasks.log import TaskLog


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def task(app, admin_client, project):
    return run_task(admin_client, project, create_template(admin_client, project)["id"])


def log_lines(app, task, lines):
    with TaskLog(app, task["id"], task["project_id"]) as log:
        log.feed(b"".join(line.encode() + b"\n" for line in lines))


def test_output_pages_by_default_and_links_to_the_next_page(app, admin_client, project, task):
    total = OUTPUT_PAGE + 5
    log_lines(app, task, [f"line {n}" for n in range(1, total + 1)])
    url = f"{project.url}/tasks/{task['id']}/output"
    first = admin_client.get(url)
    lines = first.get_json()
    assert len(lines) == OUTPUT_PAGE and lines[0]["output"] == "line 1" and lines[-1]["seq"] == OUTPUT_PAGE
    assert set(lines[0]) == {"task_id", "task", "time", "output", "seq"} and lines[0]["task"] == ""
    assert first.headers["Link"] == f'<{url}?after={OUTPUT_PAGE}&limit={OUTPUT_PAGE}>; rel="next"'
    following = admin_client.get(f"{url}?after={OUTPUT_PAGE}&limit={OUTPUT_PAGE}")
    assert [line["output"] for line in following.get_json()] == [f"line {n}" for n in range(OUTPUT_PAGE + 1, total + 1)]
    assert "Link" not in following.headers  # the last page


def test_output_limit_and_cursor(app, admin_client, project, task):
    log_lines(app, task, ["a", "b", "c", "d"])
    url = f"{project.url}/tasks/{task['id']}/output"
    page = admin_client.get(f"{url}?limit=2")
    assert [line["output"] for line in page.get_json()] == ["a", "b"]
    assert page.headers["Link"] == f'<{url}?after=2&limit=2>; rel="next"'
    assert [line["output"] for line in admin_client.get(f"{url}?after=2&limit=2").get_json()] == ["c", "d"]
    assert admin_client.get(f"{url}?after=4").get_json() == []
    assert_refused(admin_client, "GET", f"{url}?limit=0", None, "limit")
    assert_refused(admin_client, "GET", f"{url}?limit={MAX_OUTPUT_PAGE + 1}", None, "limit")
    assert_refused(admin_client, "GET", f"{url}?after=-1", None, "after")


def test_raw_output_is_a_plain_text_download_without_colour_codes(app, admin_client, project, task):
    log_lines(app, task, ["\x1b[0;32mok: [localhost]\x1b[0m", "\x1b]0;title\x07plain \u00e9", "", "last"])
    response = admin_client.get(f"{project.url}/tasks/{task['id']}/raw_output")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="task-{task["id"]}.log"'
    assert response.get_data(as_text=True) == "ok: [localhost]\nplain \u00e9\n\nlast\n"


def test_raw_output_streams_page_by_page(app, admin_client, project, task):
    """A log several pages long comes whole and in order, read with one query per page while the
    response streams (never the whole log at once)."""
    total = 2 * RAW_OUTPUT_PAGE + 7
    log_lines(app, task, [f"line {n}" for n in range(total)])
    reads = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM task__output" in statement:
            reads.append(statement)

    engine = app_state(app).db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = admin_client.get(f"{project.url}/tasks/{task['id']}/raw_output")
        assert response.is_streamed
        body = response.get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert body.splitlines() == [f"line {n}" for n in range(total)]
    assert len(reads) == 4  # three pages and the empty read that ends the stream


def test_output_is_for_members_of_the_task_project(app, admin_client, project, task):
    log_lines(app, task, ["secret plans"])
    guest = member_client(app, admin_client, project, "guest", "guest")
    for path in ("output", "raw_output"):
        assert guest.get(f"{project.url}/tasks/{task['id']}/{path}").status_code == 200
    other = create_project(app, admin_client, "Other")
    outsider = member_client(app, admin_client, other, "outsider", "owner")
    for path in ("output", "raw_output"):
        response = outsider.get(f"{project.url}/tasks/{task['id']}/{path}")
        assert response.status_code == 404 and b"secret plans" not in response.data
        # Another project's URL does not reach this task either.
        assert admin_client.get(f"{other.url}/tasks/{task['id']}/{path}").status_code == 404
    assert app.test_client().get(f"{project.url}/tasks/{task['id']}/raw_output").status_code == 401
