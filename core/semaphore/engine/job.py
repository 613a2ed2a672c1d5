"""One run of a task, in its own thread: prepare, check out, run the executor, finish.

Every step is logged to the task's output. Whatever happens, the run ends with the log flushed,
the checkout and private directory removed, and one final status written (after the log, so a
viewer has every line before the final update).
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from semaphore.db.models import Task, Template
from semaphore.engine import process
from semaphore.engine.checkout import Checkout, CheckoutError
from semaphore.engine.log import TaskLog
from semaphore.engine.materialise import materialise
from semaphore.engine.prepare import RunPreparationError, decrypt_task_secret, plan_job
from semaphore.execution import HostResult, Job, ProcessSpec, RunContext, TaskFailed, TaskStopped
from semaphore.services import host_results
from semaphore.services.task_status import TaskStatus

if TYPE_CHECKING:
    from semaphore.engine.task_engine import RunningTask, TaskEngine

log = logging.getLogger(__name__)


class TaskJob(Job):
    """The engine's side of a run as the executor sees it."""

    def __init__(self, engine: TaskEngine, running: RunningTask, context: RunContext, task_log: TaskLog) -> None:
        self.engine = engine
        self.running = running
        self.context = context
        self.task_log = task_log

    def log(self, line: str) -> None:
        self.task_log.write(line)

    def run_process(self, spec: ProcessSpec) -> int:
        return process.run(spec, self.context.env, self.task_log, self.running.stop,
                           grace_seconds=self.engine.config.task_stop_grace_sec, isolation=self.engine.isolation)

    def wait_for_confirmation(self) -> None:
        self.task_log.flush()  # what is to be confirmed is stored before anyone is asked
        self.engine.set_status(self.running.task_id, TaskStatus.WAITING_CONFIRMATION)
        with self.running.status_seen:
            # A rejection or a stop arrives as a stop request; a status alone (``stopping``) may come first.
            self.running.status_seen.wait_for(
                lambda: self.running.status == TaskStatus.CONFIRMED or self.running.stop.is_set())
        if self.running.stop.is_set() or self.running.status != TaskStatus.CONFIRMED:
            raise TaskStopped(self.running.stop.request.reason if self.running.stop.request else "not confirmed")
        self.engine.set_status(self.running.task_id, TaskStatus.RUNNING)

    def save_host_results(self, results: Sequence[HostResult]) -> None:
        with self.engine.state.db.session() as db:
            host_results.save(db, self.running.task_id, results, self.task_log.mask)

    def stop_requested(self) -> bool:
        return self.running.stop.is_set()


def run_task(engine: TaskEngine, running: RunningTask) -> None:
    """The thread of one run. Whatever fails, the engine forgets the run at the end; a run whose
    final status could not be written is found by the lease sweep."""
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
    private_dir = _private_dir(engine.runs_dir, running.task_id)
    checkouts: list[Checkout] = []
    final = TaskStatus.ERROR
    try:
        final = _run(engine, running, task_log, private_dir, checkouts)
    except Exception as exc:  # a bug in an executor or in the engine must still finish the task
        log.exception("task %s failed unexpectedly", running.task_id)
        task_log.write(f"Running app failed: {exc}")
    finally:
        _quietly(task_log.close)
        for checkout in checkouts:
            _quietly(lambda: engine.repositories.release(checkout))  # noqa: B023 -- called at once
        shutil.rmtree(private_dir, ignore_errors=True)
        engine.finish(running.task_id, final)


def _run(engine: TaskEngine, running: RunningTask, task_log: TaskLog, private_dir: Path,
         checkouts: list[Checkout]) -> TaskStatus:
    """Prepare and run; the final status. Checkouts made are added to ``checkouts``."""
    state = engine.state
    with state.db.session() as db:
        task = db.get(Task, running.task_id)
        assert task is not None
        if task.status == TaskStatus.STOPPING:
            return TaskStatus.STOPPED
        template = db.get(Template, task.template_id)
        assert template is not None
        executor = state.registry.executors.get(template.app)
        task_log.write(f"Task {task.id} started: template {template.name!r} ({template.app})")
        if executor is None:
            task_log.write(f"No executor for app {template.app!r} is installed on this server.")
            return TaskStatus.ERROR
        try:
            # The same two steps as on a remote runner: the job as data, then its files here.
            spec = plan_job(db, state.config, state.secrets, task,
                            task_secret=decrypt_task_secret(state.secrets, task.secret))
            plan = materialise(spec, private_dir, state.config)
        except RunPreparationError as exc:
            task_log.write(f"Cannot prepare the task: {exc}")
            return TaskStatus.ERROR
        task_log.add_secrets(plan.secrets)
    try:
        checkout = engine.repositories.checkout(plan.repository_id, plan.git_source, private_dir / "repository",
                                                task_log.write)
        checkouts.append(checkout)
        engine.record_commit(running.task_id, checkout)
        inventory_path = None
        if plan.inventory_repository_id is not None and plan.inventory_source is not None:
            inventory = engine.repositories.checkout(plan.inventory_repository_id, plan.inventory_source,
                                                     private_dir / "inventory", task_log.write)
            checkouts.append(inventory)
            inventory_path = inventory.path
        context = plan.context(checkout.path, inventory_path)
        engine.isolation.hand_over(private_dir)
        if context.cache_dir is not None:
            engine.isolation.hand_over(context.cache_dir)
        if running.stop.is_set():
            raise TaskStopped(running.stop.request.reason if running.stop.request else "stopped")
        engine.set_status(running.task_id, TaskStatus.RUNNING)
        executor.run(TaskJob(engine, running, context, task_log))
        return TaskStatus.SUCCESS
    except CheckoutError as exc:
        task_log.write(f"Cannot check out the repository: {exc}")
        return TaskStatus.ERROR
    except (TaskFailed, RunPreparationError) as exc:
        task_log.write(str(exc))
        return TaskStatus.ERROR
    except TaskStopped as exc:
        task_log.write(str(exc))
        request = running.stop.request
        return TaskStatus(request.status) if request else TaskStatus.STOPPED


def _private_dir(runs_dir: Path, task_id: int) -> Path:
    path = runs_dir / f"task-{task_id}-{secrets.token_hex(4)}"
    path.mkdir(mode=0o700, parents=True)
    return path


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:
        log.exception("cleaning up after a task failed")
