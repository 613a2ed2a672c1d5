"""Where the time of a chatty task goes: the log pipeline taken apart, stage by stage (no targets;
a diagnostic for bench/log_throughput.py).

In one process, on an SQLite database migrated by the real server, the same million-line bash
script runs through the engine's own process runner (semaphore.engine.process.run) into:

1. a sink that drops the output (the pipe and the reader alone);
2. the TaskLog with nobody watching (plus splitting, masking, the SQLite INSERTs);
3. the TaskLog with one live viewer whose frames are built (LiveItem.wire) and written to a local
   socket that a reader thread drains (plus the websocket's share);
4. the TaskLog, its reader pausing 5 ms after each read that did not fill the buffer (a what-if:
   bash writes a line at a time, so a reader that is always ready wakes for every few lines).

Time spent inside the TaskLog's feed() (reader thread), the row writer's INSERTs and the frame
building is summed by wrapping those functions in this process only. Then the costs of storing a
million lines and of building their frames are measured alone, in one thread, beside plain
sqlite3 running the same statements. This reaches into the log module's private classes: it is a
tool for whoever tunes them, and follows them when they change.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any

from harness import Api, git_repository, running_server, script_project, temporary_directory
from log_throughput import LINES, SCRIPT

from semaphore.app import create_app
from semaphore.db.log_rows import ROWS_PER_STATEMENT, LogRows
from semaphore.db.types import utcnow
from semaphore.engine import process
from semaphore.engine.isolation import Isolation
from semaphore.engine.log import TaskLog
from semaphore.execution import ProcessSpec
from semaphore.live import LiveItem, LogBatch, Viewer
from semaphore.state import app_state
from semaphore.testing import make_config


class Stopwatch:
    """Sums the wall time and the calling thread's CPU time spent in wrapped functions."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
                    self.cpu[name] = self.cpu.get(name, 0.0) + time.thread_time() - cpu
                    self.calls[name] = self.calls.get(name, 0) + 1
        return timed

    def summary(self) -> str:
        return "; ".join(f"{name}: {self.calls[name]} calls, {self.wall[name]:.2f} s wall, {self.cpu[name]:.2f} s CPU"
                         for name in self.wall)


class DroppingSink:
    def feed(self, data: bytes) -> None:
        pass

    def end_of_stream(self) -> None:
        pass

    def write(self, line: str) -> None:
        pass


class PausingSink:
    """Passes the output on, then pauses the reader a moment after a short read, so that the pipe
    fills while it sleeps: a what-if for the process reader (semaphore.engine.process._pump)."""

    def __init__(self, sink: Any, pause: float) -> None:
        self.sink, self.pause = sink, pause

    def feed(self, data: bytes) -> None:
        self.sink.feed(data)
        if len(data) < process.READ_SIZE:
            time.sleep(self.pause)

    def end_of_stream(self) -> None:
        self.sink.end_of_stream()

    def write(self, line: str) -> None:
        self.sink.write(line)


@dataclass
class Stage:
    name: str
    seconds: float
    reader_cpu: float  # the thread running process.run: select, read, feed()
    bash_cpu: float
    detail: str = ""


def run_script(script: Path, sink: Any) -> tuple[float, float]:
    """(reader thread CPU, bash CPU) of one run of ``script`` through the engine's process runner."""
    children_before, cpu_before = os.times(), time.thread_time()
    code = process.run(ProcessSpec(argv=["bash", str(script)], cwd=script.parent), {"PATH": "/usr/bin:/bin"},
                       sink, process.StopSignal(), grace_seconds=1, isolation=Isolation())
    assert code == 0, code
    children = os.times()
    bash = (children.children_user + children.children_system
            - children_before.children_user - children_before.children_system)
    return time.thread_time() - cpu_before, bash


def watch(app: Any, stopwatch: Stopwatch) -> threading.Event:
    """One live viewer: takes what the hub queues, builds the frames, writes them to a local socket
    that a thread drains. Set the returned event to stop it."""
    hub = app_state(app).live
    subscription = hub.subscribe(Viewer(user_id=1, admin=True))
    near, far = socket.socketpair()
    stop = threading.Event()

    def drain() -> None:
        while far.recv(1 << 20):
            pass

    def send() -> None:
        build = stopwatch.wrap("frames (LiveItem.wire)", LiveItem.wire)
        while not stop.is_set():
            for item in subscription.take(0.2):
                near.sendall(build(item))
        hub.unsubscribe(subscription)
        near.close()

    threading.Thread(target=drain, daemon=True).start()
    threading.Thread(target=send, daemon=True).start()
    return stop


def through_task_log(app: Any, database: Path, task_id: int, project_id: int, script: Path, name: str, *,
                     viewer: bool = False, pause: float = 0.0) -> Stage:
    """Run ``script`` into a TaskLog until every line is stored; time the parts."""
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM task__output WHERE task_id = ?", (task_id,))
    stopwatch = Stopwatch()
    original_insert = LogRows.insert
    LogRows.insert = stopwatch.wrap("INSERTs", original_insert)  # type: ignore[method-assign]
    stop = watch(app, stopwatch) if viewer else threading.Event()
    started = time.perf_counter()
    try:
        with TaskLog(app_state(app), task_id, project_id) as task_log:
            task_log.feed = stopwatch.wrap("feed()", task_log.feed)  # type: ignore[method-assign]
            sink = PausingSink(task_log, pause) if pause else task_log
            reader_cpu, bash_cpu = run_script(script, sink)
        seconds = time.perf_counter() - started  # every line stored
    finally:
        LogRows.insert = original_insert  # type: ignore[method-assign]
        stop.set()
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT count(*) FROM task__output WHERE task_id = ?", (task_id,)).fetchone()[0]
    assert stored == LINES, stored
    return Stage(name, seconds, reader_cpu, bash_cpu, stopwatch.summary())


def costs_alone(app: Any, database: Path, task_id: int, project_id: int) -> list[tuple[str, float]]:
    """CPU seconds, in this thread alone, to store 1,000,000 lines (in 20-line chunks, as a reader
    hands them over, and 20,000-line batches) with the row writer and with plain sqlite3 running
    the same statements, and to build their websocket frames."""
    lines = [f"line {i}" for i in range(1, LINES + 1)]
    chunk, batch = 20, 20_000
    engine = app_state(app).db.engine
    writer = LogRows(engine.dialect, task_id)
    stamp = utcnow()
    chunks = [(first + 1, stamp, lines[first:first + chunk]) for first in range(0, LINES, chunk)]
    per_batch = batch // chunk
    results = []

    def clear() -> None:
        with sqlite3.connect(database) as db:
            db.execute("DELETE FROM task__output WHERE task_id = ?", (task_id,))

    clear()
    started = time.thread_time()
    for first in range(0, len(chunks), per_batch):
        with engine.begin() as conn:
            writer.insert(conn, chunks[first:first + per_batch])
    results.append(("TaskLog's row writer (LogRows.insert)", time.thread_time() - started))
    clear()

    rows = ROWS_PER_STATEMENT

    def statement(count: int) -> str:
        return "INSERT INTO task__output (task_id, seq, time, output) VALUES " + ", ".join(
            [f"({task_id}, ?, ?, ?)"] * count)

    full = statement(rows)
    db_time = writer.to_db_time(stamp)
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as db:
        db.execute("PRAGMA foreign_keys=ON")
        started = time.thread_time()
        for first in range(0, LINES, batch):
            params = list(chain.from_iterable(zip(range(first + 1, first + batch + 1), repeat(db_time),
                                                  lines[first:first + batch])))
            db.execute("BEGIN")
            for start in range(0, len(params), 3 * rows):
                group = params[start:start + 3 * rows]
                db.execute(full if len(group) == 3 * rows else statement(len(group) // 3), group)
            db.execute("COMMIT")
        results.append((f"plain sqlite3, same statements ({rows} rows each)", time.thread_time() - started))
    clear()

    started = time.thread_time()
    for first in range(0, len(chunks), per_batch):
        batch = chunks[first:first + per_batch]
        LogBatch(task_id, project_id, [(stamp, first_seq, lines) for first_seq, stamp, lines in batch]).wire()
    results.append(("websocket frames (LogBatch.wire)", time.thread_time() - started))
    return results


def main() -> int:
    with temporary_directory("bench-stages-") as tmp:
        url = git_repository(tmp / "scripts", {"million.sh": SCRIPT, "quick.sh": "true\n"})
        script = tmp / "scripts" / "million.sh"
        with running_server(tmp / "server") as server:  # a migrated database with a project and a task
            api = Api.logged_in(server.url)
            pid, templates = script_project(api, ["quick.sh"], url)
            task_id = api.created(f"/api/project/{pid}/tasks", {"template_id": templates["quick.sh"]})["id"]
            api.wait_for_status(pid, task_id, {"success"})
            database = server.directory / "data" / "database.sqlite"
        app = create_app(make_config(tmp / "inproc", {"SEMAPHORE_DB_HOST": str(database)}), entry_points=False)

        before = os.times()
        started = time.perf_counter()
        subprocess.run(["bash", str(script)], stdout=subprocess.DEVNULL, check=True)
        after = os.times()
        stages = [Stage("bash > /dev/null", time.perf_counter() - started, 0.0,
                        after.children_user + after.children_system - before.children_user - before.children_system)]
        started = time.perf_counter()
        reader_cpu, bash_cpu = run_script(script, DroppingSink())
        stages.append(Stage("bash | engine's reader, dropped", time.perf_counter() - started, reader_cpu, bash_cpu))
        stages.append(through_task_log(app, database, task_id, pid, script, "TaskLog, no viewer"))
        stages.append(through_task_log(app, database, task_id, pid, script, "TaskLog, one viewer", viewer=True))
        stages.append(through_task_log(app, database, task_id, pid, script, "TaskLog, no viewer, 5 ms pause",
                                       pause=0.005))
        alone = costs_alone(app, database, task_id, pid)
        app_state(app).db.dispose()

    print(f"== Log pipeline stages: {LINES:,} lines, {os.cpu_count()} CPUs ==")
    print(f"{'stage':<32} | {'wall':>7} | {'lines/s':>9} | {'reader CPU':>10} | {'bash CPU':>8} | parts")
    for stage in stages:
        print(f"{stage.name:<32} | {stage.seconds:6.2f}s | {LINES / stage.seconds:>9,.0f} | {stage.reader_cpu:9.2f}s "
              f"| {stage.bash_cpu:7.2f}s | {stage.detail}")
    print(f"== One thread alone, CPU for {LINES:,} lines ==")
    for name, seconds in alone:
        print(f"{name:<50} | {seconds:5.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
