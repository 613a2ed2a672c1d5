"""Per-host results of a task: stored by the run (``Job.save_host_results``), read by the API."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import TaskHostResult
from semaphore.execution import HostFailure, HostResult

COUNTS = ("ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored")
MAX_FAILURES_PER_HOST = 100
MAX_MESSAGE = 2000  # characters of a failure message kept (the whole message is in the log)
MAX_HOST = 255


def save(db: DbSession, task_id: int, results: Sequence[HostResult], mask: Callable[[str], str]) -> None:
    """Replace the task's results; host names, task names and messages pass through ``mask``."""
    db.execute(delete(TaskHostResult).where(TaskHostResult.task_id == task_id))
    db.add_all(TaskHostResult(task_id=task_id, host=result.host, failures=json.dumps(failures_json(result)),
                              **counts(result))
               for result in masked(results, mask))
    db.commit()


def masked(results: Sequence[HostResult], mask: Callable[[str], str]) -> list[HostResult]:
    """The results as they are kept: host names, task names and messages through ``mask`` and
    cut to their columns' sizes, at most :data:`MAX_FAILURES_PER_HOST` failures per host, and
    one result per host (the last)."""
    kept: dict[str, HostResult] = {}
    for result in results:
        host = mask(result.host)[:MAX_HOST]
        failures = tuple(HostFailure(mask(failure.task)[:MAX_MESSAGE], mask(failure.message)[:MAX_MESSAGE])
                         for failure in result.failures[:MAX_FAILURES_PER_HOST])
        kept[host] = HostResult(host, failures=failures, **counts(result))
    return list(kept.values())


def counts(result: HostResult) -> dict[str, int]:
    return {name: int(getattr(result, name)) for name in COUNTS}


def as_json(result: HostResult) -> dict[str, Any]:
    """A result as a runner reports it: the host, its counts and its failures."""
    return {"host": result.host, **counts(result), "failures": failures_json(result)}


def failures_json(result: HostResult) -> list[dict[str, str]]:
    return [{"task": failure.task, "message": failure.message} for failure in result.failures]


def for_task(db: DbSession, task_id: int) -> list[dict[str, Any]]:
    """The task's results by host name, as the API shows them (with each host's ``status``)."""
    views = []
    for row in db.scalars(select(TaskHostResult).where(TaskHostResult.task_id == task_id)
                          .order_by(TaskHostResult.host)):
        failures = tuple(HostFailure(**item) for item in json.loads(row.failures or "[]"))
        result = HostResult(row.host, failures=failures, **{name: getattr(row, name) for name in COUNTS})
        views.append({"host": result.host, "status": result.status, **{name: getattr(result, name) for name in COUNTS},
                      "failures": failures_json(result)})
    return views
