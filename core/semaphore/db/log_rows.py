"""Storing a task's log lines fast: plain driver statements, many rows each.

The ORM's per-row work would cost more than the database does, and a chatty task writes hundreds of
thousands of lines a second. Both writers of a task's log use this: the server's own log writer
(:mod:`semaphore.engine.log`) and the progress reports of remote runners.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import chain, repeat
from typing import Any

from sqlalchemy import Connection, Dialect, func, select

from semaphore.db.models import TaskOutput

__all__ = ["ROWS_PER_STATEMENT", "LogChunk", "LogRows"]

ROWS_PER_STATEMENT = 300  # rows in one multi-row INSERT (SQLite and PostgreSQL); 900 parameters fit
# the 999 that SQLite builds before 3.32 allow

#: Consecutive lines of one task's log: (seq of the first, their time in UTC, the lines).
LogChunk = tuple[int, datetime, Sequence[str]]


class LogRows:
    """Inserts log rows of one task. Many rows per statement; the caller owns the transaction."""

    def __init__(self, dialect: Dialect, task_id: int) -> None:
        self.task_id = int(task_id)
        processor = TaskOutput.__table__.c.time.type.dialect_impl(dialect).bind_processor(dialect)
        self.to_db_time: Callable[[datetime], Any] = processor or (lambda value: value)
        self.placeholder = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
        # pymysql turns one executemany() of a single-row INSERT into multi-row statements itself.
        self.single_row = dialect.name in ("mysql", "mariadb")
        self._full: str | None = None  # the statement of a full group, built once

    def last_seq(self, conn: Connection) -> int:
        """The seq of the task's last stored line (0: none)."""
        found = conn.scalar(select(func.max(TaskOutput.seq)).where(TaskOutput.task_id == self.task_id))
        return int(found or 0)

    def insert(self, conn: Connection, chunks: Iterable[LogChunk]) -> None:
        """Insert the lines of ``chunks`` in ``conn``'s transaction."""
        rows = chain.from_iterable(
            zip(range(first, first + len(lines)), repeat(self.to_db_time(stamp)), lines)
            for first, stamp, lines in chunks)
        if self.single_row:
            p = self.placeholder
            statement = f"INSERT INTO task__output (task_id, seq, time, output) VALUES ({p}, {p}, {p}, {p})"
            conn.exec_driver_sql(statement, [(self.task_id, *row) for row in rows])
            return
        for count, params in self._groups(rows):
            conn.exec_driver_sql(self._statement(count), tuple(params))

    @staticmethod
    def _groups(rows: Iterator[tuple[int, Any, str]]) -> Iterator[tuple[int, list[Any]]]:
        flat = list(chain.from_iterable(rows))
        width = 3 * ROWS_PER_STATEMENT
        for start in range(0, len(flat), width):
            params = flat[start:start + width]
            yield len(params) // 3, params

    def _statement(self, count: int) -> str:
        """INSERT of ``count`` rows; the task id is a literal (an int), seq, time and output are bound."""
        if count == ROWS_PER_STATEMENT and self._full is not None:
            return self._full
        p = self.placeholder
        values = ", ".join([f"({self.task_id}, {p}, {p}, {p})"] * count)
        statement = f"INSERT INTO task__output (task_id, seq, time, output) VALUES {values}"
        if count == ROWS_PER_STATEMENT:
            self._full = statement
        return statement
