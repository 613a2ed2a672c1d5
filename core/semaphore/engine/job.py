"""One run of a task on the server, in its own thread: plan the job from the database, run it
(:mod:`semaphore.engine.execute`, the steps a remote runner runs too), finish.

Every step is logged to the task's output. Whatever happens, the run ends with the log flushed,
the checkout and private directory removed, and one final status written (after the log, so a
viewer has every line before the final update).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from semaphore.db.models import Task, Template
from semaphore.engine.checkout import Checkout
from semaphore.engine.execute import RunSite, cannot_prepare, execute_job, run_in_private_dir, started_line
from semaphore.engine.log import TaskLog
from semaphore.engine.prepare import RunPreparationError, decrypt_task_secret, plan_job
from semaphore.execution import HostResult
from semaphore.services import host_results
from semaphore.services.task_status import TaskStatus

if TYPE_CHECKING:
    from semaphore.engine.running import RunningTask
    from semaphore.engine.task_engine import TaskEngine

log = logging.getLogger(__name__)


class DatabaseReports:
    """A run's progress written to the database (status changes through the transition guard,
    whose event lets the engine's :class:`RunningTask` see them)."""

    def __init__(self, engine: TaskEngine, task_id: int) -> None:
        self.engine = engine
        self.task_id = task_id

    def set_status(self, status: TaskStatus) -> None:
        self.engine.set_status(self.task_id, status)

    def record_commit(self, checkout: Checkout) -> None:
        self.engine.record_commit(self.task_id, checkout)

    def save_host_results(self, results: Sequence[HostResult], mask: Callable[[str], str]) -> None:
        with self.engine.state.db.session() as db:
            host_results.save(db, self.task_id, results, mask)


def run_task(engine: TaskEngine, running: RunningTask) -> None:
    """The thread of one run. Whatever fails, the engine forgets the run at the end; a run whose
    final status could not be written is found by the orphan sweep."""
    try:
        _run_and_finish(engine, running)
    except Exception:
        log.exception("task %s: the run could not be finished", running.task_id)
    finally:
        engine.task_finished(running.task_id)


def _run_and_finish(engine: TaskEngine, running: RunningTask) -> None:
    with engine.state.db.session() as db:
        task = db.get(Task, running.task_id)
        assert task is not None  # claimed a moment ago; tasks are deleted only when finished
        project_id = task.project_id
    task_log = TaskLog(engine.state, running.task_id, project_id)
    final = TaskStatus.ERROR
    try:
        final = run_in_private_dir(engine.runs_dir, running.task_id, task_log, engine.repositories,
                                   lambda private_dir, checkouts: _run(engine, running, task_log, private_dir,
                                                                       checkouts))
    finally:
        engine.finish(running.task_id, final)


def _run(engine: TaskEngine, running: RunningTask, task_log: TaskLog, private_dir: Path,
         checkouts: list[Checkout]) -> TaskStatus:
    """Plan the job and run it; the final status. Checkouts made are added to ``checkouts``."""
    state = engine.state
    with state.db.session() as db:
        task = db.get(Task, running.task_id)
        assert task is not None
        if task.status == TaskStatus.STOPPING:
            return TaskStatus.STOPPED
        template = db.get(Template, task.template_id)
        assert template is not None
        executor = state.registry.executors.get(template.app)
        task_log.write(started_line(task.id, template.name, template.app))
        if executor is None:
            task_log.write(f"No executor for app {template.app!r} is installed on this server.")
            return TaskStatus.ERROR
        try:
            # The same steps as on a remote runner: the job as data, then its files and its run here.
            spec = plan_job(db, state.config, state.secrets, task,
                            task_secret=decrypt_task_secret(state.secrets, task.secret))
        except RunPreparationError as exc:
            task_log.write(cannot_prepare(exc))
            return TaskStatus.ERROR
    site = RunSite(engine.config, engine.repositories, engine.isolation)
    return execute_job(spec, executor, site, running, task_log, DatabaseReports(engine, running.task_id),
                       private_dir, checkouts)
