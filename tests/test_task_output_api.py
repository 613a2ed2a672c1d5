"""Task output over the API, on every database: the original's JSON shape, every line streamed or a
page at a time (with a Link to the next page), the lines that contain a text (searched in the whole
log, a page at a time), and the whole log as a plain-text download."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from task_helpers import assert_refused, create_project, create_template, member_client, run_task

from semaphore.engine.log import TaskLog
from semaphore.schemas.tasks import MAX_OUTPUT_PAGE, MAX_SEARCH_PAGE, MAX_SEARCH_TEXT, SEARCH_PAGE
from semaphore.services.tasks import STREAM_PAGE
from semaphore.state import app_state


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def task(app, admin_client, project):
    return run_task(admin_client, project, create_template(admin_client, project)["id"])


def log_lines(app, task, lines):
    with TaskLog(app_state(app), task["id"], task["project_id"]) as log:
        log.feed(b"".join(line.encode() + b"\n" for line in lines))


def test_output_without_paging_answers_every_line_streamed(app, admin_client, project, task):
    """A client of the original reads the whole log with one request: every line, in order, in the
    original's fields, streamed from the database a page at a time (the same lines as the pages)."""
    total = 50_000
    log_lines(app, task, [f"line {n}" for n in range(1, total + 1)])
    url = f"{project.url}/tasks/{task['id']}/output"
    response = admin_client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.is_streamed and "Link" not in response.headers
    lines = response.get_json()
    assert [line["output"] for line in lines] == [f"line {n}" for n in range(1, total + 1)]
    assert [line["seq"] for line in lines] == list(range(1, total + 1))
    assert set(lines[0]) == {"task_id", "task", "time", "output", "seq"}
    assert {(line["task_id"], line["task"]) for line in lines} == {(task["id"], "")}
    paged = admin_client.get(f"{url}?limit={MAX_OUTPUT_PAGE}").get_json()
    assert lines == paged
    after = admin_client.get(f"{url}?after={total - 2}").get_json()
    assert [line["output"] for line in after] == [f"line {total - 1}", f"line {total}"]


def test_output_of_a_task_without_lines_is_an_empty_list(admin_client, project, task):
    assert admin_client.get(f"{project.url}/tasks/{task['id']}/output").get_json() == []


def test_output_with_a_limit_pages_and_links_to_the_next_page(app, admin_client, project, task):
    page_size, total = 1000, 1005
    log_lines(app, task, [f"line {n}" for n in range(1, total + 1)])
    url = f"{project.url}/tasks/{task['id']}/output"
    first = admin_client.get(f"{url}?limit={page_size}")
    lines = first.get_json()
    assert len(lines) == page_size and lines[0]["output"] == "line 1" and lines[-1]["seq"] == page_size
    assert set(lines[0]) == {"task_id", "task", "time", "output", "seq"} and lines[0]["task"] == ""
    assert first.headers["Link"] == f'<{url}?after={page_size}&limit={page_size}>; rel="next"'
    following = admin_client.get(f"{url}?after={page_size}&limit={page_size}")
    assert [line["output"] for line in following.get_json()] == [f"line {n}" for n in range(page_size + 1, total + 1)]
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


def search(client, project, task, query):
    response = client.get(f"{project.url}/tasks/{task['id']}/output/search", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response


def found(client, project, task, **query):
    return [(line["seq"], line["output"]) for line in search(client, project, task, query).get_json()]


def test_search_finds_lines_in_any_case_with_colour_codes_ignored(app, admin_client, project, task):
    log_lines(app, task, ["PLAY [all]", "\x1b[0;31mfatal: [web1]: FAILED!\x1b[0m", "ok: [db1]",
                          "\x1b[1mFa\x1b[0;31mtal\x1b[0m, split by a colour code", "FATAL ERROR", "f a t a l"])
    lines = search(admin_client, project, task, {"q": "fatal"}).get_json()
    assert [line["seq"] for line in lines] == [2, 4, 5]
    assert set(lines[0]) == {"task_id", "task", "time", "output", "seq"} and lines[0]["task"] == ""
    assert lines[0]["output"] == "\x1b[0;31mfatal: [web1]: FAILED!\x1b[0m"  # as stored, like the output endpoint's
    assert found(admin_client, project, task, q="[WEB1]") == [(2, "\x1b[0;31mfatal: [web1]: FAILED!\x1b[0m")]
    assert found(admin_client, project, task, q="31m") == []  # inside an escape code only
    assert found(admin_client, project, task, q="fatal", after=2) == found(admin_client, project, task, q="fatal")[1:]
    assert found(admin_client, project, task, q="nowhere") == []


def test_search_pages_with_a_link_to_the_next_page(app, admin_client, project, task):
    log_lines(app, task, [f"hit 50% {n}" if n % 2 else f"miss {n}" for n in range(1, 2 * SEARCH_PAGE + 11)])
    url = f"{project.url}/tasks/{task['id']}/output/search"
    first = search(admin_client, project, task, {"q": "HIT 50%"})
    assert [line["seq"] for line in first.get_json()] == list(range(1, 2 * SEARCH_PAGE, 2))
    assert first.headers["Link"] == f'<{url}?q=HIT+50%25&after={2 * SEARCH_PAGE - 1}&limit={SEARCH_PAGE}>; rel="next"'
    seen, link = [], f"{url}?q=hit+50%25&limit=7"
    while link:
        page = admin_client.get(link)
        lines = page.get_json()
        assert len(lines) <= 7
        seen += [line["seq"] for line in lines]
        link = page.headers.get("Link", "").removeprefix("<").removesuffix('>; rel="next"')
    assert seen == list(range(1, 2 * SEARCH_PAGE + 11, 2))


def test_search_reads_past_lines_that_only_look_like_matches(app, admin_client, project, task):
    """A line with a colour code whose characters spell the text with others between is read and
    dropped; the page still fills with real matches after it."""
    log_lines(app, task, ["\x1b[1mhxixt\x1b[0m"] * 5 + ["hit one", "\x1b[1mhi\x1b[0mt two", "hit three"])
    response = search(admin_client, project, task, {"q": "hit", "limit": 2})
    assert [line["seq"] for line in response.get_json()] == [6, 7] and "after=7" in response.headers["Link"]


def test_search_matches_like_wildcards_literally(app, admin_client, project, task):
    log_lines(app, task, ["100% done", "1000 done", "a_b", "axb", "back\\slash", "back slash", "5%_\\"])
    assert found(admin_client, project, task, q="0%") == [(1, "100% done")]
    assert found(admin_client, project, task, q="a_b") == [(3, "a_b")]
    assert found(admin_client, project, task, q="k\\s") == [(5, "back\\slash")]
    assert found(admin_client, project, task, q="%_\\") == [(7, "5%_\\")]
    assert found(admin_client, project, task, q="%") == [(1, "100% done"), (7, "5%_\\")]


def test_search_refuses_an_empty_or_long_text_and_bad_paging(app, admin_client, project, task):
    log_lines(app, task, ["x" * MAX_SEARCH_TEXT])
    url = f"{project.url}/tasks/{task['id']}/output/search"
    for query in ("", "?q=", f"?q={'x' * (MAX_SEARCH_TEXT + 1)}"):
        assert_refused(admin_client, "GET", f"{url}{query}", None, "q")
    assert len(search(admin_client, project, task, {"q": "x" * MAX_SEARCH_TEXT}).get_json()) == 1
    assert_refused(admin_client, "GET", f"{url}?q=x&limit=0", None, "limit")
    assert_refused(admin_client, "GET", f"{url}?q=x&limit={MAX_SEARCH_PAGE + 1}", None, "limit")
    assert_refused(admin_client, "GET", f"{url}?q=x&after=-1", None, "after")
    assert admin_client.get(f"{project.url}/tasks/999999/output/search?q=x").status_code == 404


def test_raw_output_is_a_plain_text_download_without_colour_codes(app, admin_client, project, task):
    log_lines(app, task, ["\x1b[0;32mok: [localhost]\x1b[0m", "\x1b]0;title\x07plain \u00e9", "", "last"])
    response = admin_client.get(f"{project.url}/tasks/{task['id']}/raw_output")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="task-{task["id"]}.log"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # a log that looks like HTML stays text
    assert response.get_data(as_text=True) == "ok: [localhost]\nplain \u00e9\n\nlast\n"


def test_raw_output_streams_page_by_page(app, admin_client, project, task):
    """A log several pages long comes whole and in order, read with one query per page while the
    response streams (never the whole log at once)."""
    total = 2 * STREAM_PAGE + 7
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


PATHS = ("output", "output/search?q=secret", "raw_output")


def test_output_is_for_members_of_the_task_project(app, admin_client, project, task):
    log_lines(app, task, ["secret plans"])
    guest = member_client(app, admin_client, project, "guest", "guest")
    for path in PATHS:
        assert guest.get(f"{project.url}/tasks/{task['id']}/{path}").status_code == 200
    other = create_project(app, admin_client, "Other")
    outsider = member_client(app, admin_client, other, "outsider", "owner")
    for path in PATHS:
        response = outsider.get(f"{project.url}/tasks/{task['id']}/{path}")
        assert response.status_code == 404 and b"secret plans" not in response.data
        # Another project's URL does not reach this task either.
        assert admin_client.get(f"{other.url}/tasks/{task['id']}/{path}").status_code == 404
    for path in PATHS:
        assert app.test_client().get(f"{project.url}/tasks/{task['id']}/{path}").status_code == 401
