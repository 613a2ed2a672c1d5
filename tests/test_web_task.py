"""The task page in a real browser (Debian's chromium through Playwright) against a real
`semaphore server` process: a bash task's log arrives live (also across a dropped websocket) and
its status and duration follow, ANSI colours show as classed spans, Stop stops a long task, search
finds a line, the download serves the raw text, an ansible run shows its per-host table, a
million-line log keeps a bounded DOM and loads older pages at the top, a line found in the whole of
it is shown in a window of its own that Follow leaves for the tail, and the phone viewport does not
scroll sideways.

One server for the module; each test gets a fresh browser context."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_helpers import assert_ran_cleanly, screenshot, scrolls_horizontally, sign_in
from live_server import bash_template, git_repository
from task_page_helpers import log_rows, store_log_lines, visible_rows

LOCAL = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
SCRIPTS = {
    "slow.sh": "printf '\\033[31mred alert\\033[0m and \\033[1;32mbold green\\033[0m\\n'\n"
               "for i in $(seq 1 30); do echo \"line $i\"; sleep 0.2; done\n",
    "long.sh": "echo started\nsleep 600\n",
    "quick.sh": "echo line 1\n",
    "site.yml": """\
- hosts: all
  gather_facts: false
  tasks:
    - name: greet
      debug: msg="hello from {{ inventory_hostname }}"
    - name: touch
      command: /bin/true
    - name: check the disk
      fail: msg="the disk is full"
      when: inventory_hostname == 'db1'
""",
}
MILLION = 1_000_000
expect = pytest.importorskip("playwright.sync_api").expect


# server and api: browser_helpers' module fixtures


@pytest.fixture(scope="module")
def project(api, tmp_path_factory):
    """A project with a bash template per script and an ansible template on two local hosts."""
    url = git_repository(tmp_path_factory.mktemp("repo") / "scripts", SCRIPTS)
    pid = api.created("/api/projects", {"name": "Operations"})["id"]
    key = api.created(f"/api/project/{pid}/keys", {"name": "none", "type": "none", "project_id": pid})
    repository = api.created(f"/api/project/{pid}/repositories", {
        "name": "scripts", "git_url": url, "git_branch": "main", "ssh_key_id": key["id"], "project_id": pid})
    inventory = api.created(f"/api/project/{pid}/inventory", {
        "name": "local", "type": "static", "inventory": f"web1 {LOCAL}\ndb1 {LOCAL}\n", "project_id": pid})
    environment = api.created(f"/api/project/{pid}/environment", {"name": "vars", "project_id": pid, "json": "{}"})
    templates = {}
    for script in SCRIPTS:
        templates[script] = api.created(f"/api/project/{pid}/templates", {
            "name": script.split(".")[0].title(), "app": "ansible" if script.endswith(".yml") else "bash",
            "playbook": script, "project_id": pid, "repository_id": repository["id"],
            "inventory_id": inventory["id"], "environment_id": environment["id"]})["id"]
    return pid, templates


def run(api, project, script, **overrides):
    pid, templates = project
    return api.created(f"/api/project/{pid}/tasks", {"template_id": templates[script], **overrides})["id"]


def open_task(page, server, pid, task_id):
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{server.url}/project/{pid}/tasks/{task_id}")
    page.locator("#task-page[data-ready=true]").wait_for()


@pytest.fixture(scope="module")
def finished_slow_task(api, project):
    task_id = run(api, project, "slow.sh", message="nightly run")
    api.wait_for_status(project[0], task_id, {"success"})
    return task_id


def test_lines_arrive_live_in_colour_the_status_follows_and_the_duration_stops(
        desktop_page, server, api, project, artifact_dir):
    page, pid = desktop_page, project[0]
    sockets = []

    def through_a_socket_the_test_can_drop(ws):
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket("**/api/ws", through_a_socket_the_test_can_drop)
    task_id = run(api, project, "slow.sh", message="nightly run")
    open_task(page, server, pid, task_id)
    status = page.locator("#task-status")

    page.locator("#log .log-row", has_text="line 5").wait_for()
    assert status.inner_text() != "success"  # the line came before the task finished
    assert api("GET", f"/api/project/{pid}/tasks/{task_id}")[1]["status"] == "running"
    assert page.locator("#log-follow").get_attribute("aria-pressed") == "true"
    red = page.locator("#log span.ansi-fg-1", has_text="red alert")
    assert red.is_visible() and page.locator("#log span.ansi-fg-2.ansi-bold", has_text="bold green").is_visible()
    assert "\x1b" not in page.locator("#log").inner_text()
    page.locator("#log .log-row", has_text="line 8").wait_for()
    screenshot(page, artifact_dir, "task-log", for_docs=True)
    sockets[0].close(code=1013, reason="dropped by the test")  # the lines stored meanwhile come from the API
    page.locator("#log-connection", has_text="Reconnecting").wait_for()
    page.locator("#log-connection", has_text="Live.").wait_for()
    assert len(sockets) == 2

    status.filter(has_text="success").wait_for(timeout=30_000)
    page.locator("#log .log-row", has_text="line 30").wait_for()
    rows = log_rows(page)
    assert [row["text"] for row in rows][-30:] == [f"line {i}" for i in range(1, 31)]
    assert [row["seq"] for row in rows] == sorted({row["seq"] for row in rows})  # no line twice or missed
    assert visible_rows(page)[-1] == "line 30"  # the tail was followed
    assert page.locator("#task-stop").is_hidden()
    duration = page.locator("#task-duration").inner_text()
    assert duration.endswith("s") and duration != "—"
    time.sleep(1.3)
    assert page.locator("#task-duration").inner_text() == duration
    assert page.locator("#task-end").get_attribute("datetime")
    assert_ran_cleanly(page)


def test_search_finds_a_line_the_follow_toggle_and_the_raw_download(desktop_page, server, project, finished_slow_task):
    page, pid = desktop_page, project[0]
    open_task(page, server, pid, finished_slow_task)
    assert page.locator("#task-message").inner_text() == "nightly run"
    page.get_by_label("Search the log").fill("line 2")
    page.get_by_label("Search the log").press("Enter")
    # line 2 and line 20-29 match; the search shows the one nearest the tail first, then steps.
    expect(page.locator("#log-matches")).to_have_text("11 of 11 lines match")
    expect(page.locator("#log .log-row-current")).to_have_text("line 29")
    page.get_by_role("button", name="Next match").click()
    expect(page.locator("#log .log-row-current")).to_have_text("line 2")
    expect(page.locator("#log mark.log-match.current")).to_have_text("line 2")
    expect(page.locator("#log-matches")).to_have_text("1 of 11 lines match")
    page.get_by_role("button", name="Previous match").click()
    expect(page.locator("#log .log-row-current")).to_have_text("line 29")

    page.locator("#log").focus()
    page.keyboard.press("Home")
    expect(page.locator("#log-follow")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("document.getElementById('log').scrollTop") == 0
    expect(page.locator("#log .log-row").first).to_have_text(re.compile(r"^Task \d+ started: template 'Slow'"))
    page.keyboard.press("PageDown")
    assert page.evaluate("document.getElementById('log').scrollTop") > 0
    page.keyboard.press("End")
    expect(page.locator("#log-follow")).to_have_attribute("aria-pressed", "true")
    assert visible_rows(page)[-1] == "line 30"

    link = page.get_by_role("link", name="Download raw log")
    assert link.get_attribute("download") == f"task-{finished_slow_task}.log"
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text()
    assert "\nred alert and bold green\n" in text and "line 30\n" in text and "\x1b" not in text
    assert_ran_cleanly(page)


def test_stop_stops_a_long_task(desktop_page, server, api, project):
    page, pid = desktop_page, project[0]
    task_id = run(api, project, "long.sh")
    open_task(page, server, pid, task_id)
    page.locator("#log .log-row").get_by_text("started", exact=True).wait_for(timeout=30_000)
    page.locator("#task-status", has_text="running").wait_for()
    page.get_by_role("button", name="Stop").click()
    page.locator("#task-status", has_text="stopped").wait_for(timeout=20_000)
    assert page.locator("#task-stop").is_hidden()
    assert api("GET", f"/api/project/{pid}/tasks/{task_id}")[1]["status"] == "stopped"
    assert_ran_cleanly(page)


def waiting_behind_another(api, directory, project_name):
    """A project that runs one task at a time: (project id, a running task, a task waiting behind it)."""
    pid, template_id = bash_template(api, directory, "hold.sh", "echo started\nsleep 600\n",
                                     project={"name": project_name, "max_parallel_tasks": 1}, template="Hold")
    first = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})["id"]
    api.wait_for_output(pid, first, "started")
    second = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})["id"]
    return pid, first, second


def test_an_answer_that_arrives_late_never_turns_the_status_back(desktop_page, server, api, tmp_path):
    """When its socket opens the page asks the API for the task; if that answer is still on its way
    when a newer status comes over the socket, the newer status stays."""
    page = desktop_page
    pid, first, second = waiting_behind_another(api, tmp_path / "queue", "One at a time")
    held = []

    def hold_the_answer(route):
        held.append((route, route.fetch()))  # read now ("waiting"), answered only later

    page.route(f"**/api/project/{pid}/tasks/{second}", hold_the_answer)
    open_task(page, server, pid, second)
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "the page never asked for the task"
        page.wait_for_timeout(50)
    assert held[0][1].json()["status"] == "waiting"
    assert api("POST", f"/api/project/{pid}/tasks/{first}/stop", {})[0] == 204  # the second may start
    page.locator("#task-status", has_text="running").wait_for(timeout=30_000)
    route, answer = held[0]
    route.fulfill(response=answer)
    page.wait_for_timeout(500)
    assert page.locator("#task-status").inner_text() == "running"
    assert api("POST", f"/api/project/{pid}/tasks/{second}/stop", {})[0] == 204
    page.locator("#task-status", has_text="stopped").wait_for(timeout=30_000)
    assert_ran_cleanly(page)


def test_the_commit_shows_as_soon_as_the_run_has_checked_it_out(desktop_page, server, api, tmp_path):
    """A page opened while its task waits learns the commit from the "running" update, no reload."""
    page = desktop_page
    pid, first, second = waiting_behind_another(api, tmp_path / "commit", "Commit shown")
    open_task(page, server, pid, second)
    assert page.locator("#task-status").inner_text() == "waiting"
    assert page.locator("#task-commit-row").is_hidden()
    assert api("POST", f"/api/project/{pid}/tasks/{first}/stop", {})[0] == 204  # the second may start
    page.locator("#task-status", has_text="running").wait_for(timeout=30_000)
    commit = api("GET", f"/api/project/{pid}/tasks/{second}")[1]["commit_hash"]
    expect(page.locator("#task-commit")).to_have_text(f"{commit[:10]} scripts")
    assert page.locator("#task-commit-row").is_visible()
    assert api("POST", f"/api/project/{pid}/tasks/{second}/stop", {})[0] == 204
    page.locator("#task-status", has_text="stopped").wait_for(timeout=30_000)
    assert_ran_cleanly(page)


def test_reject_declines_a_task_that_waits_for_confirmation(desktop_page, server, api, project):
    """As a terraform plan waits: the task row is put in that state directly (with a fresh lease, so
    the server does not finish it as an orphan)."""
    page, pid = desktop_page, project[0]
    task_id = run(api, project, "quick.sh")
    api.wait_for_status(pid, task_id, {"success"})
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with contextlib.closing(sqlite3.connect(server.directory / "data" / "database.sqlite", timeout=30)) as db, db:
        db.execute("UPDATE task SET status = 'waiting_confirmation', \"end\" = NULL, heartbeat = ? WHERE id = ?",
                   (now, task_id))
    open_task(page, server, pid, task_id)
    assert page.get_by_role("button", name="Confirm").is_visible()
    page.get_by_role("button", name="Reject").click()
    page.locator("#task-status", has_text="rejected").wait_for()
    assert page.get_by_role("button", name="Confirm").is_hidden() and page.locator("#task-stop").is_hidden()
    assert api("GET", f"/api/project/{pid}/tasks/{task_id}")[1]["status"] == "rejected"
    assert_ran_cleanly(page)


def test_an_ansible_run_shows_each_hosts_results_with_its_failed_tasks(desktop_page, server, api, project,
                                                                        artifact_dir):
    page, pid = desktop_page, project[0]
    task_id = run(api, project, "site.yml")
    open_task(page, server, pid, task_id)
    page.locator("#task-status", has_text="error").wait_for(timeout=90_000)
    table = page.locator("#task-hosts")
    table.wait_for()
    web1 = table.locator("tr[data-host=web1] td")
    assert web1.all_inner_texts() == ["changed", "2", "1", "0", "0", "1", "0", "0"]
    db1 = table.locator("tr[data-host=db1] td")
    assert db1.all_inner_texts()[:4] == ["failed", "2", "1", "1"]
    summary = table.get_by_text("1 failed task on db1")
    summary.click()
    assert table.locator("dt", has_text="check the disk").is_visible()
    assert table.locator("dd", has_text="the disk is full").is_visible()
    page.locator("#log .log-row", has_text="PLAY RECAP").wait_for()
    screenshot(page, artifact_dir, "task-hosts", for_docs=True)
    assert_ran_cleanly(page)


@pytest.fixture(scope="module")
def million_line_task(server, api, project):
    task_id = run(api, project, "quick.sh")
    api.wait_for_status(project[0], task_id, {"success"})
    store_log_lines(server.directory / "data" / "database.sqlite", task_id, MILLION, "line {seq} of the big log")
    return task_id


def test_a_million_line_log_keeps_few_rows_in_the_dom_and_pages_back_from_the_top(desktop_page, server, project,
                                                                                   million_line_task):
    page, pid, task_id = desktop_page, project[0], million_line_task
    open_task(page, server, pid, task_id)
    page.locator("#log .log-row", has_text=f"line {MILLION} of the big log").wait_for()
    rows = log_rows(page)
    assert 0 < len(rows) <= 300
    assert visible_rows(page)[-1] == f"line {MILLION} of the big log"
    assert page.locator("#log-range").inner_text().startswith("Lines 998,001–1,000,000")

    page.locator("#log").focus()
    page.keyboard.press("Home")  # to the top of what is loaded: the previous page arrives above
    page.locator("#log-range", has_text="Lines 996,001–1,000,000").wait_for()
    assert len(log_rows(page)) <= 300
    first = min(row["seq"] for row in log_rows(page))
    assert first > 996_000  # the view stayed where the reader was, just above the old first line
    page.keyboard.press("Home")
    page.locator("#log-range", has_text="Lines 994,001–1,000,000").wait_for()
    assert len(log_rows(page)) <= 300
    assert_ran_cleanly(page)


def test_a_line_found_in_the_whole_million_line_log_is_shown_around_it_and_follow_goes_back_to_the_tail(
        desktop_page, server, project, million_line_task):
    page, pid, task_id = desktop_page, project[0], million_line_task
    open_task(page, server, pid, task_id)
    page.locator("#log .log-row", has_text=f"line {MILLION} of the big log").wait_for()
    results = page.get_by_role("region", name="Found in the whole log")
    assert results.is_hidden()
    page.get_by_label("Search the log").fill("line 17 of")
    page.get_by_role("button", name="Search the whole log").click()
    expect(results.locator(".log-results-summary")).to_have_text("1 line contains “line 17 of”.")
    found = results.get_by_role("button", name="line 17: line 17 of the big log")
    assert results.locator(".log-result").all_text_contents() == ["line 17: line 17 of the big log"]
    found.click()
    # The log now holds the lines from the first on (1,000 above it would be before the log's start).
    expect(page.locator("#log .log-row-current")).to_have_text("line 17 of the big log")
    assert "line 17 of the big log" in visible_rows(page)
    assert len(log_rows(page)) <= 300
    expect(page.locator("#log-range")).to_have_text(re.compile(r"^Lines 1–2,000 \(newer ones when you scroll"))
    expect(page.locator("#log-follow")).to_have_attribute("aria-pressed", "false")
    expect(found).to_have_attribute("aria-current", "true")
    # The end of the window reads the next page; the window stays one (no following).
    page.evaluate("(() => { const log = document.getElementById('log'); log.scrollTop = log.scrollHeight; })()")
    page.locator("#log-range", has_text="Lines 1–4,000 (").wait_for()
    assert len(log_rows(page)) <= 300
    expect(page.locator("#log-follow")).to_have_attribute("aria-pressed", "false")
    page.get_by_role("button", name="Follow").click()
    page.locator("#log-range", has_text="Lines 998,001–1,000,000").wait_for()
    expect(page.locator("#log-follow")).to_have_attribute("aria-pressed", "true")
    page.locator("#log .log-row", has_text=f"line {MILLION} of the big log").wait_for()
    assert visible_rows(page)[-1] == f"line {MILLION} of the big log"

    # By keyboard, a line in the middle: a window from 1,000 lines above it, older pages above that,
    # and End back to the tail.
    page.get_by_label("Search the log").fill("line 654321 of")
    page.get_by_label("Search the log").press("Enter")  # none of the loaded lines has it: the whole log
    line = results.get_by_role("button", name="line 654,321: line 654321 of the big log")
    line.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#log .log-row-current")).to_have_text("line 654321 of the big log")
    expect(page.locator("#log-range")).to_have_text(re.compile(r"^Lines 653,321–655,320 \(older lines load"))
    assert "line 654321 of the big log" in visible_rows(page)
    expect(page.locator("#log .log-row-current mark.log-match")).to_have_text("line 654321 of")
    page.locator("#log").focus()
    page.keyboard.press("Home")
    page.locator("#log-range", has_text="Lines 651,321–655,320").wait_for()
    assert len(log_rows(page)) <= 300
    page.keyboard.press("End")
    page.locator("#log-range", has_text="Lines 998,001–1,000,000").wait_for()
    expect(page.locator("#log-follow")).to_have_attribute("aria-pressed", "true")
    page.locator("#log .log-row", has_text=f"line {MILLION} of the big log").wait_for()
    assert_ran_cleanly(page)


def test_the_phone_viewport_shows_the_log_without_sideways_page_scroll(dark_phone_page, server, project,
                                                                       finished_slow_task):
    page, pid = dark_phone_page, project[0]
    open_task(page, server, pid, finished_slow_task)
    page.locator("#log .log-row", has_text="line 30").wait_for()
    assert page.locator("#log").is_visible()
    assert not scrolls_horizontally(page)
    page.get_by_label("Search the log").fill("line")
    page.get_by_role("button", name="Search the whole log").click()
    results = page.get_by_role("region", name="Found in the whole log")
    expect(results.locator(".log-results-summary")).to_have_text(re.compile(r"^\d+ lines contain “line”\.$"))
    expect(results.locator(".log-result").last).to_have_text(re.compile(r"^line \d+: line 30$"))
    assert not scrolls_horizontally(page)
    assert_ran_cleanly(page)
