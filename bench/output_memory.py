"""The whole output of a task with a 1,000,000-line log in one request (GET .../output without
paging arguments, as the original's clients read it): the server's worker must stream it, so its
memory stays flat. The real `semaphore server` (SQLite), the lines stored straight into its database
as the task log stores them (tests/task_page_helpers.py); the worker's RSS sampled every 100 ms
while the benchmark reads the answer in chunks and counts its lines. The plain-text download
(raw_output, streamed the same way) is read first as the baseline.

    .venv/bin/python bench/output_memory.py
"""

from __future__ import annotations

import re
import sys
import time
import urllib.request
from pathlib import Path

from harness import Api, Report, RssSampler, git_repository, running_server, script_project, temporary_directory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from task_page_helpers import store_log_lines  # noqa: E402

LINES = 1_000_000
TARGET_GROWTH_MB = 64.0  # worker RSS above its level before the request; the lines as one list take ~1 GB
CHUNK = 1 << 16
LINE_MARK = b'"task": ""'  # once in every line of the JSON answer
LAST_SEQ = re.compile(rb'"seq": (\d+)')


def read_streamed(api: Api, path: str, mark: bytes) -> tuple[int, bytes, float]:
    """(occurrences of ``mark`` in the answer, its last bytes, seconds), reading it a chunk at a time."""
    request = urllib.request.Request(api.url + path, headers={"Authorization": f"Bearer {api.token}"})
    count, tail = 0, b""
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(CHUNK):
            window = tail + chunk
            count += window.count(mark) - tail.count(mark)
            tail = window[-256:]
    return count, tail, time.monotonic() - started


def measure(server_pid: int, api: Api, path: str, mark: bytes) -> tuple[int, bytes, float, float]:
    """Like read_streamed, plus the worker's RSS growth in MB while the answer was read."""
    with RssSampler(server_pid) as before:
        time.sleep(0.5)
    with RssSampler(server_pid) as during:
        count, tail, seconds = read_streamed(api, path, mark)
    return count, tail, seconds, (during.max_worker - before.max_worker) / 2**20


def main() -> int:
    report = Report(f"Task output of {LINES:,} lines in one request: the server's memory")
    with temporary_directory("bench-output-memory-") as tmp, running_server(tmp / "server") as server:
        api = Api.logged_in(server.url)
        pid, templates = script_project(api, ["quick.sh"], git_repository(tmp / "scripts", {"quick.sh": "echo hi\n"}))
        task_id = api.created(f"/api/project/{pid}/tasks", {"template_id": templates["quick.sh"]})["id"]
        api.wait_for_status(pid, task_id, {"success"})
        store_log_lines(server.directory / "data" / "database.sqlite", task_id, LINES)
        base = f"/api/project/{pid}/tasks/{task_id}"
        assert server.process is not None
        server_pid = server.process.pid

        raw_lines, _, raw_seconds, raw_growth = measure(server_pid, api, f"{base}/raw_output", b"\n")
        report.info("raw_output: lines, seconds", f"{raw_lines:,}, {raw_seconds:.1f} s")
        report.info("raw_output: worker RSS growth", f"{raw_growth:.1f} MB")

        lines, tail, seconds, growth = measure(server_pid, api, f"{base}/output", LINE_MARK)
        last = LAST_SEQ.findall(tail)
        report.check("output: lines, in one JSON array", f"{lines:,} (last seq {last[-1].decode() if last else '?'})",
                     f"{LINES:,}", lines == LINES and tail.endswith(b"]") and last[-1:] == [str(LINES).encode()])
        report.info("output: seconds", f"{seconds:.1f} s ({LINES / seconds:,.0f} lines/s)")
        report.check("output: worker RSS growth", f"{growth:.1f} MB ({growth / TARGET_GROWTH_MB:.0%} of target)",
                     f"< {TARGET_GROWTH_MB:.0f} MB", growth < TARGET_GROWTH_MB)
        report.info("output growth / raw_output growth", f"{growth / raw_growth:.2f}" if raw_growth > 0 else "-")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
