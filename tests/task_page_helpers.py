"""What the task page's browser test and its benchmark (bench/task_page.py) share: a log of a
million lines stored straight into the server's SQLite file, as the task log stores it, and readers
of the log view's DOM."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

ROWS_PER_BATCH = 50_000


def store_log_lines(database: Path, task_id: int, up_to: int, text: str = "line {seq}") -> None:
    """Append lines to the task's output until its last seq is ``up_to`` (rows of task__output, seq
    going on from the last stored one, the time of the last stored line), in bulk."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db, db:
        last_seq, stamp = db.execute("SELECT seq, time FROM task__output WHERE task_id = ? ORDER BY seq DESC LIMIT 1",
                                     (task_id,)).fetchone() or (0, "2026-01-01 00:00:00.000000")
        for start in range(last_seq + 1, up_to + 1, ROWS_PER_BATCH):
            end = min(start + ROWS_PER_BATCH, up_to + 1)
            db.executemany("INSERT INTO task__output (task_id, seq, time, output) VALUES (?, ?, ?, ?)",
                           ((task_id, seq, stamp, text.format(seq=seq)) for seq in range(start, end)))


def log_rows(page: Any) -> list[dict[str, Any]]:
    """The log rows in the DOM: their seq and text."""
    return list(page.evaluate("""[...document.querySelectorAll('#log .log-row')]
        .map((row) => ({seq: Number(row.dataset.seq), text: row.textContent}))"""))


def visible_rows(page: Any) -> list[str]:
    """The text of the log rows inside the log box's visible area."""
    return list(page.evaluate("""(() => {
        const box = document.getElementById('log').getBoundingClientRect();
        return [...document.querySelectorAll('#log .log-row')].filter((row) => {
          const r = row.getBoundingClientRect();
          return r.bottom > box.top + 1 && r.top < box.bottom - 1;
        }).map((row) => row.textContent);
    })()"""))
