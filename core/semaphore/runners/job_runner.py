"""Running the server's jobs on a runner's machine, each in its own thread, with the engine's code.

A job arrives sealed in a poll answer; :meth:`JobRunner.handle_poll_answer` opens it with the
runner's private key and starts it. The run is the server's run (:mod:`semaphore.engine.execute`):
a 0700 private directory under ``<tmp_path>/runs``, the job materialised there, the repository
checked out through this runner's own cache (``<tmp_path>/repositories``), the executor plugin
installed here, output cut and masked by the log's rules. Instead of the database the run writes
to the job's :class:`~semaphore.runners.outbox.JobOutbox`: ``starting``, then ``running`` (or
``waiting_confirmation`` when the executor asks), the commit, per-host results, log records, and
the final status after the last record.

The server's wanted status of each job, told by every poll answer, steers it as a user steers a
local run: ``stopping`` stops the process group (SIGTERM, SIGKILL after ``task_stop_grace_sec``),
``stopped`` kills it at once, ``confirmed`` lets a run waiting for confirmation go on (only once
the server has acknowledged the wait, so an old answer never confirms a new question),
``rejected`` ends it.

Each run has a record beside its private directory naming its process groups, so that a runner
started again after a crash ends what the old process left running (:mod:`semaphore.runners.leftovers`).

A current job the server counts as active that this process does not have (:meth:`JobRunner.lost`)
was an earlier process's: the runner was killed and started again. The poll loop reports it
``Lost`` so that the server does not wait for it forever.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from semaphore.config import Config
from semaphore.engine.checkout import Checkout, RepositoryCache
from semaphore.engine.execute import RunSite, execute_job, run_in_private_dir, started_line
from semaphore.engine.isolation import Isolation
from semaphore.engine.job_spec import JobSpec, JobSpecError
from semaphore.engine.process import StopRequest
from semaphore.engine.running import RunningTask
from semaphore.execution import HostResult
from semaphore.plugins import build_plugins
from semaphore.registry import Registry
from semaphore.runners.job_log import OutboxLog
from semaphore.runners.leftovers import RunRecord
from semaphore.runners.outbox import JobOutbox, Outbox
from semaphore.runners.sealed import SealedBoxError, open_job
from semaphore.services import host_results
from semaphore.services.task_status import ACTIVE, FINISHED, TaskStatus

__all__ = ["JobRunner", "OutboxReports", "installed_registry"]

log = logging.getLogger(__name__)

UNOPENED_JOB_SEQ = 0  # the log record of a job whose payload did not open (its log_seq is inside it)


def installed_registry(config: Config) -> Registry:
    """The executors (and other components) of the plugins installed on this machine, found as the
    server finds its own (built-ins, then the entry points ``plugins``/``disable_plugins`` allow)."""
    registry = Registry(build_plugins(config))
    config.plugin_sections.load(registry.settings)
    return registry


class OutboxReports:
    """A run's status changes, commit and host results, into its outbox (see
    :class:`semaphore.engine.execute.RunReports`)."""

    def __init__(self, outbox: JobOutbox, running: RunningTask) -> None:
        self.outbox = outbox
        self.running = running

    def set_status(self, status: TaskStatus) -> None:
        self.outbox.status(status.value)
        self.running.see_status(status.value)

    def record_commit(self, checkout: Checkout) -> None:
        self.outbox.commit(checkout.commit_hash, checkout.commit_message)

    def save_host_results(self, results: Sequence[HostResult], mask: Callable[[str], str]) -> None:
        self.outbox.host_results([host_results.as_json(result) for result in host_results.masked(results, mask)])


@dataclass
class _Job:
    spec: JobSpec
    running: RunningTask
    outbox: JobOutbox
    record: RunRecord | None = None  # beside its private directory, while it runs


class JobRunner:
    """The jobs running on this machine. ``config`` is the runner's (``tmp_path``, environment
    layers, ``task_stop_grace_sec``, isolation); ``registry`` holds the executors installed here
    (see :func:`installed_registry`); reports go to ``outbox``."""

    def __init__(self, config: Config, registry: Registry, outbox: Outbox) -> None:
        tmp_path = Path(config.tmp_path)
        self.registry = registry
        self.outbox = outbox
        self.site = RunSite(config, RepositoryCache(tmp_path / "repositories", ssh_config_path=config.ssh_config_path),
                            Isolation.from_config(config))
        self.runs_dir = tmp_path / "runs"
        # Traversable but not listable: a task running as another user reaches only its own run.
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.runs_dir.chmod(0o711)
        self._jobs: dict[int, _Job] = {}
        self._lock = threading.Lock()

    @property
    def apps(self) -> list[str]:
        """The template apps this runner can run (what it tells the server)."""
        return sorted(self.registry.executors)

    # -- the poll answer --------------------------------------------------------------------------

    def handle_poll_answer(self, answer: Mapping[str, Any], private_key: X25519PrivateKey) -> None:
        """Start the answer's new jobs, then apply the wanted status of every current job. A
        malformed item is logged and skipped; it never stops the others."""
        for item in _items(answer, "new_jobs"):
            try:
                task_id, sealed = int(item["task_id"]), item["job"]
            except (KeyError, TypeError, ValueError):
                log.error("a new job in the poll answer has no task_id or job: skipped")
                continue
            self.start_sealed(task_id, sealed, private_key)
        for task_id, status in _current(answer, complain=True):
            self.want(task_id, status)

    def lost(self, answer: Mapping[str, Any]) -> list[int]:
        """The answer's current jobs that are active on the server and that this process does not
        have: not running, no report of theirs unacknowledged, not handed over in this very answer.
        Call it before anything of this process is acknowledged after the poll that got ``answer``:
        a job that finished is then either still in the outbox or finished on the server too."""
        known = {*self.outbox.task_ids(), *self.running_ids(), *_ids(answer, "new_jobs", "task_id")}
        active = [task_id for task_id, status in _current(answer) if status in ACTIVE]
        return [task_id for task_id in active if task_id not in known]

    def start_sealed(self, task_id: int, sealed: str, private_key: X25519PrivateKey) -> None:
        """Open the job and start it; a job that does not open ends as ``error`` with a line
        saying why (never the payload)."""
        if self.is_running(task_id) or task_id in self.outbox.task_ids():
            return  # an answer repeated while the server had not yet seen our reports
        try:
            spec = open_job(private_key, sealed, task_id)
        except (SealedBoxError, JobSpecError) as exc:
            log.error("task %s: the job cannot be opened: %s", task_id, exc)
            outbox = self.outbox.open(task_id, UNOPENED_JOB_SEQ)
            outbox.add_lines([f"The runner cannot open the job: {exc}"])
            outbox.finish(TaskStatus.ERROR.value)
            return
        self.start(spec)

    def start(self, spec: JobSpec) -> RunningTask:
        """Run ``spec`` in a new thread; its reports go to a new outbox of the job."""
        task_id = spec.task.id
        running = RunningTask(task_id)
        job = _Job(spec, running, self.outbox.open(task_id, spec.log_seq))
        with self._lock:
            self._jobs[task_id] = job
        running.thread = threading.Thread(target=self._run, args=(job,), daemon=True, name=f"semaphore-job-{task_id}")
        running.thread.start()
        return running

    def want(self, task_id: int, status: str) -> None:
        """The server's wanted status of a job: stop, confirm or end it; other statuses are the
        server repeating what the job reported."""
        job = self._job(task_id)
        if job is None:
            return
        running = job.running
        if status in (TaskStatus.STOPPING, TaskStatus.STOPPED):
            running.stopped_by_user(force=status == TaskStatus.STOPPED)
        elif status == TaskStatus.CONFIRMED:
            if job.outbox.acknowledged_status == TaskStatus.WAITING_CONFIRMATION and \
                    running.status == TaskStatus.WAITING_CONFIRMATION:
                running.status_changed(status)
        elif status in FINISHED:
            running.status_changed(status)  # rejected, or ended by the server: the run ends so

    # -- the jobs ---------------------------------------------------------------------------------

    def is_running(self, task_id: int) -> bool:
        return self._job(task_id) is not None

    def running_ids(self) -> list[int]:
        with self._lock:
            return list(self._jobs)

    def wait(self, task_id: int, timeout: float) -> bool:
        """Block until the job's run ended (its final status is in the outbox); whether it did."""
        job = self._job(task_id)
        if job is None or job.running.thread is None:
            return True
        job.running.thread.join(timeout)
        return not job.running.thread.is_alive()

    def clean_repository_cache(self) -> None:
        """Remove the cached clones of repositories (the server asked for a cache clean); call it
        while no job runs, as a run checks out from them."""
        for clone in self.site.repositories.root.glob("*.git"):
            shutil.rmtree(clone, ignore_errors=True)
        log.info("repository cache cleaned")

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop every job (they end as ``error``: the runner went away) and wait for them."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.running.request_stop(StopRequest("Runner shutting down: the task was stopped.", graceful=True,
                                                 status=TaskStatus.ERROR.value))
        deadline = time.monotonic() + timeout
        for job in jobs:
            if job.running.thread is not None:
                job.running.thread.join(max(0.0, deadline - time.monotonic()))

    def _job(self, task_id: int) -> _Job | None:
        with self._lock:
            return self._jobs.get(task_id)

    def _run(self, job: _Job) -> None:
        task_id = job.spec.task.id
        try:
            task_log = OutboxLog(job.outbox, job.running.stop)
            reports = OutboxReports(job.outbox, job.running)
            reports.set_status(TaskStatus.STARTING)  # the runner took the job
            final = run_in_private_dir(self.runs_dir, task_id, task_log, self.site.repositories,
                                       lambda private_dir, checkouts: self._execute(job, task_log, reports,
                                                                                    private_dir, checkouts))
            job.outbox.finish(final.value)
        except Exception:
            log.exception("task %s: the run could not be finished", task_id)
            if not job.outbox.finished:
                job.outbox.finish(TaskStatus.ERROR.value)
        finally:
            if job.record is not None:
                job.record.remove()  # after the private directory went
            with self._lock:
                self._jobs.pop(task_id, None)

    def _execute(self, job: _Job, task_log: OutboxLog, reports: OutboxReports, private_dir: Path,
                 checkouts: list[Checkout]) -> TaskStatus:
        spec, running = job.spec, job.running
        job.record = RunRecord(private_dir)
        running.process_started = job.record.add_group
        if running.stop.is_set():  # stopped before it started
            return TaskStatus(running.stop.request.status) if running.stop.request else TaskStatus.STOPPED
        task_log.write(started_line(spec.task.id, str(spec.template.get("name", "")), spec.app_id))
        executor = self.registry.executors.get(spec.app_id)
        if executor is None:
            task_log.write(f"No executor for app {spec.app_id!r} is installed on this runner.")
            return TaskStatus.ERROR
        return execute_job(spec, executor, self.site, running, task_log, reports, private_dir, checkouts)


def _current(answer: Mapping[str, Any], *, complain: bool = False) -> list[tuple[int, str]]:
    """The answer's ``CurrentJobs`` as (task id, status); malformed items skipped (and logged)."""
    found = []
    for item in _items(answer, "CurrentJobs"):
        try:
            found.append((int(item["id"]), str(item["status"])))
        except (KeyError, TypeError, ValueError):
            if complain:
                log.error("a current job in the poll answer has no id or status: skipped")
    return found


def _ids(answer: Mapping[str, Any], name: str, key: str) -> set[int]:
    found = set()
    for item in _items(answer, name):
        try:
            found.add(int(item[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _items(answer: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    items = answer.get(name) if isinstance(answer, Mapping) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]
