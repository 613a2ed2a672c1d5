"""Claiming a fire time and queueing its task, in one transaction.

The row in ``project__schedule_fire`` is the claim: UNIQUE(schedule_id, fire_time) lets exactly
one server process insert it. The task is created in the same transaction, so a claim without
its task, or a task without its claim, is never committed (a claim whose task could not be
queued is kept, with no task: that fire time was decided, and the reason logged).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Repository, Schedule, ScheduleFire, Template
from semaphore.db.types import utcnow
from semaphore.errors import SemaphoreError
from semaphore.services.tasks import create_task

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)


def is_claimed(db: DbSession, schedule_id: int, fire_time: datetime) -> bool:
    return db.scalar(select(ScheduleFire.id).where(ScheduleFire.schedule_id == schedule_id,
                                                   ScheduleFire.fire_time == fire_time)) is not None


def claim_and_queue(db: DbSession, state: AppState, schedule: Schedule, fire_time: datetime,
                    commit_hash: str | None = None, *, queue: bool = True) -> ScheduleFire | None:
    """Claim ``fire_time`` for ``schedule`` (which may be detached) and, with ``queue``, queue the
    template's task (with ``commit_hash``, a commit schedule's new head, also stored as its last
    hash). Commits. None when another process claimed the fire time first."""
    schedule_id = schedule.id
    fire = ScheduleFire(schedule_id=schedule_id, fire_time=fire_time, created=utcnow())
    db.add(fire)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        return None
    if not queue:  # decided: nothing to run (a commit schedule whose branch did not move)
        db.commit()
        return fire
    if commit_hash is not None:
        db.execute(update(Schedule).where(Schedule.id == schedule_id).values(last_commit_hash=commit_hash))
    try:
        with db.begin_nested():
            task = create_task(db, state, schedule.project_id, None,
                               {"template_id": schedule.template_id, "schedule_id": schedule_id})
            if commit_hash and _checks_out_the_watched_branch(db, schedule):
                task.commit_hash = commit_hash  # run the commit that triggered it, not a newer one
        fire.task_id = task.id
    except SemaphoreError as exc:
        log.warning("schedule %s: no task queued for %s: %s", schedule_id, fire_time.isoformat(), exc)
    db.commit()
    return fire


def _checks_out_the_watched_branch(db: DbSession, schedule: Schedule) -> bool:
    """Whether the task's checkout is the branch the schedule watches (the template may use another
    repository or branch: then its own head runs, the new commit only triggered it)."""
    template = db.get(Template, schedule.template_id)
    repository = db.get(Repository, schedule.repository_id)
    if template is None or repository is None or template.repository_id != repository.id:
        return False
    return not template.git_branch or template.git_branch == repository.git_branch


def prune_claims(db: DbSession, older_than: datetime) -> int:
    """Delete claims made before ``older_than``, except each schedule's newest (the one a restarted
    server looks at to tell a fire it missed from one that ran). Commits; returns how many went."""
    newest = select(func.max(ScheduleFire.id)).group_by(ScheduleFire.schedule_id)
    # MySQL refuses a subquery on the table being deleted from unless it is materialised first.
    kept = select(newest.subquery().c[0])
    result = db.execute(delete(ScheduleFire).where(ScheduleFire.created < older_than, ScheduleFire.id.not_in(kept)))
    db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
