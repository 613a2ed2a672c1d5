"""The task page with a 1,000,000-line log: how soon the log's last lines show, how many rows the
DOM holds, and how soon "load older lines" brings the previous page when the reader jumps to the
top; and how long a search of the whole log takes (GET .../output/search) for a text found once near
the start and for one found nowhere, both of which read the whole log. The real `semaphore server`
(SQLite), the lines stored straight into its database as the task log stores them
(tests/task_page_helpers.py), Debian's chromium through Playwright.

    .venv/bin/python bench/task_page.py
"""

from __future__ import annotations

import sys
import time
import urllib.parse
from pathlib import Path

from harness import Api, Report, git_repository, median, running_server, script_project, temporary_directory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, sign_in  # noqa: E402
from task_page_helpers import log_rows, store_log_lines  # noqa: E402

LINES = 1_000_000
LOADS = 5
TARGET_HTML_MS = 200.0  # the page's HTML, server side (the log is not in it)
TARGET_FIRST_LINES_MS = 1000.0  # navigation start to the last line shown
TARGET_OLDER_MS = 500.0  # Home pressed to the previous page shown
MAX_DOM_ROWS = 300
SEARCHES = 3  # of each kind
TARGET_SEARCH_MS = 1500.0  # one page of matches (or none) from the whole log
NEAR_START = 17  # the seq of the one line the first search finds
FOUND_ONCE = "fatal: [host-17]"
FOUND_NOWHERE = "no such text"

# Stamps the moment the first log row is added to the DOM (performance.now(), ms since navigation).
STAMP_FIRST_ROW = """
new MutationObserver((changes, observer) => {
  if (document.querySelector('#log .log-row[data-seq]')) {
    window.__firstRowAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def main() -> int:
    from playwright.sync_api import expect, sync_playwright

    report = Report(f"Task page with a {LINES:,}-line log: first lines, DOM rows, older pages, search")
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    with temporary_directory("bench-task-page-") as tmp, running_server(tmp / "server") as server:
        api = Api.logged_in(server.url)
        pid, templates = script_project(api, ["quick.sh"], git_repository(tmp / "scripts", {"quick.sh": "echo hi\n"}))
        task_id = api.created(f"/api/project/{pid}/tasks", {"template_id": templates["quick.sh"]})["id"]
        api.wait_for_status(pid, task_id, {"success"})
        database = server.directory / "data" / "database.sqlite"
        store_log_lines(database, task_id, NEAR_START - 1)
        store_log_lines(database, task_id, NEAR_START, "fatal: [host-{seq}]: UNREACHABLE!")
        store_log_lines(database, task_id, LINES)
        searches = {text: time_search(api, pid, task_id, text) for text in (FOUND_ONCE, FOUND_NOWHERE)}
        url = f"{server.url}/project/{pid}/tasks/{task_id}"
        html, first_lines, older, rows = [], [], [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=DESKTOP)
            context.add_init_script(STAMP_FIRST_ROW)
            page = context.new_page()
            sign_in(page, server)
            page.wait_for_url(server.url + "/projects")
            for _ in range(LOADS):
                page.goto(url)
                page.locator("#log .log-row[data-seq]").first.wait_for()
                html.append(page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0];"
                                          " return n.responseEnd - n.requestStart; })()"))
                first_lines.append(page.evaluate("window.__firstRowAt"))
                page.locator("#task-page[data-ready=true]").wait_for()
                rows.append(len(log_rows(page)))
                page.locator("#log").focus()
                before = page.locator("#log-range").inner_text()
                started = page.evaluate("performance.now()")
                page.keyboard.press("Home")
                expect(page.locator("#log-range")).not_to_have_text(before)
                older.append(page.evaluate("performance.now()") - started)
                rows.append(len(log_rows(page)))
            browser.close()
    report.check("page HTML, request to response end, median", f"{median(html):.0f} ms",
                 f"< {TARGET_HTML_MS:.0f} ms", median(html) < TARGET_HTML_MS)
    report.check("navigation start to the first log lines shown, median", f"{median(first_lines):.0f} ms",
                 f"< {TARGET_FIRST_LINES_MS:.0f} ms", median(first_lines) < TARGET_FIRST_LINES_MS)
    report.check("Home pressed to the previous page shown, median", f"{median(older):.0f} ms",
                 f"< {TARGET_OLDER_MS:.0f} ms", median(older) < TARGET_OLDER_MS)
    for text, what in ((FOUND_ONCE, f"found once, at line {NEAR_START}"), (FOUND_NOWHERE, "found nowhere")):
        took = searches[text]
        report.check(f"search of the whole log, {what}, median", f"{median(took):.0f} ms",
                     f"< {TARGET_SEARCH_MS:.0f} ms", median(took) < TARGET_SEARCH_MS)
    report.check("log rows in the DOM, most seen", str(max(rows)), f"<= {MAX_DOM_ROWS}", max(rows) <= MAX_DOM_ROWS)
    report.info("loads", f"{LOADS}, {min(first_lines):.0f}-{max(first_lines):.0f} ms to first lines")
    report.info("searches", f"{SEARCHES} of each, " + ", ".join(
        f"{min(took):.0f}-{max(took):.0f} ms" for took in searches.values()))
    return report.finish()


def time_search(api: Api, pid: int, task_id: int, text: str) -> list[float]:
    """Milliseconds per request of GET .../output/search for ``text``, each checked: the first text is
    on line NEAR_START only, the other on none."""
    path = f"/api/project/{pid}/tasks/{task_id}/output/search?" + urllib.parse.urlencode({"q": text})
    took = []
    for _ in range(SEARCHES):
        started = time.perf_counter()
        status, lines = api("GET", path)
        took.append((time.perf_counter() - started) * 1000)
        assert status == 200, lines
        assert [line["seq"] for line in lines] == ([NEAR_START] if text == FOUND_ONCE else []), lines
    return took


if __name__ == "__main__":
    sys.exit(main())
