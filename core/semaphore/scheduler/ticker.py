"""The scheduler of one server process: every few seconds, fire the schedules that are due.

Each tick, for every active schedule, the latest fire time at or before now (in the schedule's
time zone, see :mod:`fire_times`) is due when

- it is later than the schedule's ``updated`` (a schedule never fires for a time before it was
  created, changed or switched on),
- it is at most ``MISSED_GRACE`` old: a fire missed while no server ran fires once when one comes
  back within the grace window, an older one is skipped with a log line (only the latest fire time
  is ever looked at, so downtime never replays a burst), and
- nobody claimed it yet (:mod:`claims`; the unique claim decides between server processes).

A commit schedule (``repository_id`` set) then asks for its branch head and queues a task only
when the head differs from ``last_commit_hash`` (the first look, with no hash stored, counts as
new: it fires, as the original does). The ticking loop is driven by the ``schedule`` library in a
background thread; the clock is injectable so tests can tick at any moment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import schedule as schedule_library
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Repository, Schedule, Task
from semaphore.db.types import utcnow
from semaphore.scheduler.branch_heads import branch_head
from semaphore.scheduler.fire_claims import claim_and_queue, is_claimed, prune_claims
from semaphore.scheduler.fire_times import latest_fire, time_zone
from semaphore.services.tasks import enqueue

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)

MISSED_GRACE = timedelta(minutes=5)
KEEP_CLAIMS = timedelta(days=7)  # claims older than this are pruned (each schedule's newest stays)
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Fired:
    """A fire time this process claimed; ``task_id`` None when it queued none (no new commit, or
    the task could not be queued)."""

    schedule_id: int
    fire_time: datetime
    task_id: int | None


class Scheduler:
    def __init__(self, state: AppState, clock: Callable[[], datetime] = utcnow,
                 tick_seconds: int | None = None) -> None:
        self.state = state
        self.clock = clock
        self.config = state.config
        self.tick_seconds = tick_seconds if tick_seconds is not None else self.config.schedule.tick_seconds
        # The fire time each schedule was last decided for: a decided one costs no query on later ticks.
        self._decided: dict[int, datetime] = {}
        self._next_prune: datetime | None = None
        self._failing: dict[int, str] = {}  # schedule id -> its last error, logged once while it repeats
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one tick ---------------------------------------------------------------------------

    def tick(self) -> list[Fired]:
        """Fire what is due now; returns the fire times this process claimed. A schedule that
        fails (a repository that cannot be read, a broken row) is logged and the others go on."""
        now = self.clock()
        fired: list[Fired] = []
        with self.state.db.session() as db:
            schedules = list(db.scalars(select(Schedule).where(Schedule.active.is_(True)).order_by(Schedule.id)))
            db.expunge_all()  # read as they are now: the rollback must not expire them
            db.rollback()  # no snapshot held across the schedules (MySQL's repeatable read)
            self._forget_gone({row.id for row in schedules})
            for row in schedules:
                try:
                    result = self._consider(db, row, now)
                except Exception as exc:
                    db.rollback()
                    self._decided.pop(row.id, None)  # undecided after all: the next tick tries again
                    self._log_failure(row, exc)
                    continue
                self._failing.pop(row.id, None)
                if result is not None:
                    fired.append(result)
            if self._next_prune is None or now >= self._next_prune:
                self._next_prune = now + PRUNE_EVERY
                prune_claims(db, now - KEEP_CLAIMS)
            queued = [db.get(Task, result.task_id) for result in fired if result.task_id is not None]
            enqueue(db, self.state.events, [task for task in queued if task is not None])
        return fired

    def _consider(self, db: DbSession, row: Schedule, now: datetime) -> Fired | None:
        zone = time_zone(row.timezone or self.config.schedule.timezone)
        fire_time = latest_fire(row.cron_format, zone, now)
        if fire_time is None or self._decided.get(row.id) == fire_time:
            return None
        self._decided[row.id] = fire_time
        if row.updated is not None and fire_time <= row.updated:
            return None
        if now - fire_time > MISSED_GRACE:
            if not is_claimed(db, row.id, fire_time):
                log.warning("schedule %s (%s) missed its run of %s (no server was running); runs more than "
                            "%s late are skipped", row.id, row.name or row.cron_format, fire_time.isoformat(),
                            MISSED_GRACE)
            db.rollback()
            return None
        commit_hash, queue = None, True
        if row.repository_id is not None:
            if is_claimed(db, row.id, fire_time):  # spare git the question: another server decided
                db.rollback()
                return None
            commit_hash = self._branch_head(db, row)
            if commit_hash is None:
                return None
            queue = commit_hash != row.last_commit_hash
        fire = claim_and_queue(db, self.state, row, fire_time, commit_hash if queue else None, queue=queue)
        if fire is None:
            return None
        outcome = f"task {fire.task_id}" if fire.task_id else "no task" if queue else "no new commit"
        log.info("schedule %s (%s) fired for %s: %s", row.id, row.name or row.cron_format, fire_time.isoformat(),
                 outcome)
        return Fired(row.id, fire_time, fire.task_id)

    def _forget_gone(self, active_ids: set[int]) -> None:
        """Deleted or switched-off schedules leave the in-memory state (switched on again, they
        are judged afresh: the claims in the database still stop a double fire)."""
        for memory in (self._decided, self._failing):
            for schedule_id in memory.keys() - active_ids:
                del memory[schedule_id]

    def _log_failure(self, row: Schedule, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        if self._failing.get(row.id) != message:
            self._failing[row.id] = message
            log.error("schedule %s (%s) failed; the others go on: %s", row.id, row.name or row.cron_format, message,
                      exc_info=exc)

    def _branch_head(self, db: DbSession, row: Schedule) -> str | None:
        """The head of the schedule's branch; None (logged) when it cannot be read."""
        repository = db.get(Repository, row.repository_id)
        if repository is None:
            return None
        try:
            head = branch_head(db, self.config, self.state.secrets, repository)
        except Exception as exc:  # a key that cannot be used, git failing: this schedule only
            log.warning("schedule %s: cannot read the branch head of repository %r: %s", row.id, repository.name, exc)
            db.rollback()
            return None
        db.rollback()
        return head

    # -- the background loop ----------------------------------------------------------------

    def start(self) -> None:
        jobs = schedule_library.Scheduler()
        jobs.every(self.tick_seconds).seconds.do(self._tick_logged)
        self._thread = threading.Thread(target=self._loop, args=(jobs,), name="semaphore-scheduler", daemon=True)
        self._thread.start()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop ticking; a tick in progress finishes first (for at most ``timeout`` seconds)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self, jobs: schedule_library.Scheduler) -> None:
        self._tick_logged()  # at once: a fire missed during a restart should not wait a tick
        while not self._stopping.wait(min(1.0, self.tick_seconds)):
            jobs.run_pending()

    def _tick_logged(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("scheduler tick failed; retrying at the next one")
