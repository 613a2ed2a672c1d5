"""Finding text anywhere in a task's log, however long: the database picks the candidate lines, in
``seq`` order along the (task_id, seq) key, and each candidate is checked on its text without ANSI
escape codes, so a colour code neither hides a match nor makes one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, and_, or_, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.like import ESCAPE, literal
from semaphore.db.models import Task, TaskOutput
from semaphore.schemas.tasks import SEARCH_PAGE
from semaphore.services.tasks import strip_ansi


def search_output(db: DbSession, task: Task, text: str, after: int = 0,
                  limit: int = SEARCH_PAGE) -> list[Row[Any]]:
    """The task's lines after the seq ``after`` whose text, escape codes removed, contains ``text``
    in any case (the database's case folding: ASCII letters only on SQLite), in ``seq`` order, at
    most ``limit`` of them. Plain rows, as :func:`semaphore.services.tasks.task_output` returns."""
    wanted = text.lower()
    query = (select(TaskOutput.task_id, TaskOutput.seq, TaskOutput.time, TaskOutput.output)
             .where(TaskOutput.task_id == task.id, _may_contain(text)).order_by(TaskOutput.seq).limit(limit))
    found: list[Row[Any]] = []
    while True:
        rows: list[Row[Any]] = list(db.execute(query.where(TaskOutput.seq > after)))
        found += [row for row in rows if wanted in strip_ansi(row.output).lower()]
        if len(found) >= limit or len(rows) < limit:
            return found[:limit]
        after = rows[-1].seq  # candidates that were no match: read on


def _may_contain(text: str) -> ColumnElement[bool]:
    """True for every line that holds ``text`` once its escape codes are gone: the text itself, or,
    in a line with an escape code, its characters in order (a colour code may sit between them)."""
    exact = TaskOutput.output.ilike(f"%{literal(text)}%", escape=ESCAPE)
    if len(text) < 2:
        return exact
    spread = "%" + "%".join(literal(char) for char in text) + "%"
    return or_(exact, and_(TaskOutput.output.contains("\x1b", autoescape=True),
                           TaskOutput.output.ilike(spread, escape=ESCAPE)))
