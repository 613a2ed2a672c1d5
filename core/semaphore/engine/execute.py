"""Running a planned job on this machine: the steps the server's engine and a remote runner share.

Whoever runs the job owns a log (:class:`~semaphore.engine.log_lines.LogLines`: the server's
database log, or a runner's outbox) and :class:`RunReports` (where status changes, the commit and
per-host results go); everything between is the same code::

    final = run_in_private_dir(runs_dir, task_id, log, repositories,
                               lambda private_dir, checkouts: execute_job(spec, executor, site, running, log,
                                                                          reports, private_dir, checkouts))

:func:`execute_job` materialises the job into the private directory, checks its repository out
through this machine's :class:`~semaphore.engine.checkout.RepositoryCache`, reports the commit,
moves the task to ``running`` and hands the executor a :class:`RunningJob`; it returns the final
status. :func:`run_in_private_dir` makes the 0700 directory and, whatever happens, closes the log
and removes the checkouts and the directory before the caller reports the final status.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from semaphore.config import Config
from semaphore.engine import process
from semaphore.engine.checkout import Checkout, CheckoutError, RepositoryCache
from semaphore.engine.isolation import Isolation
from semaphore.engine.job_spec import JobSpec
from semaphore.engine.log_lines import LogLines
from semaphore.engine.materialise import materialise
from semaphore.engine.run_keys import RunPreparationError
from semaphore.engine.running import RunningTask
from semaphore.execution import HostResult, Job, ProcessSpec, RunContext, TaskFailed, TaskStopped
from semaphore.interfaces import Executor
from semaphore.services.task_status import TaskStatus

__all__ = ["RunReports", "RunSite", "RunningJob", "cannot_prepare", "execute_job", "run_in_private_dir",
           "started_line"]

log = logging.getLogger(__name__)


class RunReports(Protocol):
    """Where a run's progress goes besides its log: the database, or a runner's outbox."""

    def set_status(self, status: TaskStatus) -> None:
        """The task moved to ``status`` (``running``, ``waiting_confirmation``); the owner's
        :class:`RunningTask` sees it before this returns."""

    def record_commit(self, checkout: Checkout) -> None:
        """The commit the run checked out."""

    def save_host_results(self, results: Sequence[HostResult], mask: Callable[[str], str]) -> None:
        """What the run did per host; texts pass through ``mask`` (the log's masking)."""


@dataclass(frozen=True)
class RunSite:
    """This machine's part of every run: its configuration (``tmp_path``, the environment layers,
    ``task_stop_grace_sec``), its repository cache and its process isolation."""

    config: Config
    repositories: RepositoryCache
    isolation: Isolation


class RunningJob(Job):
    """The run as the executor sees it: processes in their own group with output to the log, a
    stop through the run's :class:`~semaphore.engine.process.StopSignal`, confirmation waited for
    on the owner's :class:`RunningTask`."""

    def __init__(self, site: RunSite, running: RunningTask, context: RunContext, task_log: LogLines,
                 reports: RunReports) -> None:
        self.site = site
        self.running = running
        self.context = context
        self.task_log = task_log
        self.reports = reports

    def log(self, line: str) -> None:
        self.task_log.write(line)

    def run_process(self, spec: ProcessSpec) -> int:
        return process.run(spec, self.context.env, self.task_log, self.running.stop,
                           grace_seconds=self.site.config.task_stop_grace_sec, isolation=self.site.isolation,
                           started=self.running.process_started)

    def wait_for_confirmation(self) -> None:
        self.task_log.flush()  # what is to be confirmed is stored before anyone is asked
        self.reports.set_status(TaskStatus.WAITING_CONFIRMATION)
        running = self.running
        with running.status_seen:
            # A rejection or a stop arrives as a stop request; a status alone (``stopping``) may come first.
            running.status_seen.wait_for(lambda: running.status == TaskStatus.CONFIRMED or running.stop.is_set())
        if running.stop.is_set() or running.status != TaskStatus.CONFIRMED:
            raise TaskStopped(running.stop.request.reason if running.stop.request else "not confirmed")
        self.reports.set_status(TaskStatus.RUNNING)

    def save_host_results(self, results: Sequence[HostResult]) -> None:
        self.reports.save_host_results(results, self.task_log.mask)

    def stop_requested(self) -> bool:
        return self.running.stop.is_set()


def started_line(task_id: int, template_name: str, app_id: str) -> str:
    """The first line of every run's log."""
    return f"Task {task_id} started: template {template_name!r} ({app_id})"


def cannot_prepare(exc: RunPreparationError) -> str:
    return f"Cannot prepare the task: {exc}"


def execute_job(spec: JobSpec, executor: Executor, site: RunSite, running: RunningTask, task_log: LogLines,
                reports: RunReports, private_dir: Path, checkouts: list[Checkout]) -> TaskStatus:
    """Materialise, check out, run the executor; the final status. Checkouts made are added to
    ``checkouts`` (the caller releases them)."""
    try:
        plan = materialise(spec, private_dir, site.config)
    except RunPreparationError as exc:
        task_log.write(cannot_prepare(exc))
        return TaskStatus.ERROR
    task_log.add_secrets(plan.secrets)
    repositories = site.repositories
    try:
        checkout = repositories.checkout(plan.repository_id, plan.git_source, private_dir / "repository",
                                         task_log.write)
        checkouts.append(checkout)
        reports.record_commit(checkout)
        inventory_path = None
        if plan.inventory_repository_id is not None and plan.inventory_source is not None:
            inventory = repositories.checkout(plan.inventory_repository_id, plan.inventory_source,
                                              private_dir / "inventory", task_log.write)
            checkouts.append(inventory)
            inventory_path = inventory.path
        context = plan.context(checkout.path, inventory_path)
        site.isolation.hand_over(private_dir)
        if context.cache_dir is not None:
            site.isolation.hand_over(context.cache_dir)
        if running.stop.is_set():
            raise TaskStopped(running.stop.request.reason if running.stop.request else "stopped")
        reports.set_status(TaskStatus.RUNNING)
        executor.run(RunningJob(site, running, context, task_log, reports))
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


def run_in_private_dir(runs_dir: Path, task_id: int, task_log: LogLines, repositories: RepositoryCache,
                       run: Callable[[Path, list[Checkout]], TaskStatus]) -> TaskStatus:
    """``run(private_dir, checkouts)`` in a new 0700 directory under ``runs_dir``; its final status,
    ``error`` when it raised (a bug in an executor or in the engine still finishes the task).
    Afterwards the log is closed, the checkouts released and the directory removed."""
    private_dir = _private_dir(runs_dir, task_id)
    checkouts: list[Checkout] = []
    final = TaskStatus.ERROR
    try:
        final = run(private_dir, checkouts)
    except Exception as exc:
        log.exception("task %s failed unexpectedly", task_id)
        task_log.write(f"Running app failed: {exc}")
    finally:
        _quietly(task_log.close)
        for checkout in checkouts:
            _quietly(lambda: repositories.release(checkout))  # noqa: B023 -- called at once
        shutil.rmtree(private_dir, ignore_errors=True)
    return final


def _private_dir(runs_dir: Path, task_id: int) -> Path:
    path = runs_dir / f"task-{task_id}-{secrets.token_hex(4)}"
    path.mkdir(mode=0o700, parents=True)
    return path


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:
        log.exception("cleaning up after a task failed")
