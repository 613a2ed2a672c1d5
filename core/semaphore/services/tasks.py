"""Tasks on the API side: queueing a run, listing, output, stop, confirm and delete.

The database is the queue: a new task is a ``waiting`` row that the task engine claims. Nothing
here starts a process.
"""

from __future__ import annotations

import builtins
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, Select, func, inspect, select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Inventory, Task, TaskOutput, Template, User
from semaphore.db.types import utcnow
from semaphore.errors import Conflict, NotFound, ValidationError
from semaphore.services import activity
from semaphore.services.inventories import require_inventory_type
from semaphore.services.keys import encrypt_payload
from semaphore.services.resources import require_in_project
from semaphore.services.task_status import TaskStatus, change_status, is_finished
from semaphore.services.template_fields import json_fields
from semaphore.services.versions import next_build_version, parse_version
from semaphore.task_events import TaskEvents, TaskQueued, TaskStopRequested

if TYPE_CHECKING:
    from semaphore.crypto import SecretBox
    from semaphore.db.engine import Database
    from semaphore.interfaces import Executor
    from semaphore.state import AppState

log = logging.getLogger(__name__)

MAX_LISTED = 1000
TASK_COLUMNS = tuple(attr.key for attr in inspect(Task).column_attrs)


# -- reading ----------------------------------------------------------------------------------

def _tasks_query(project_id: int, template_id: int | None, before: int | None,
                 statuses: Iterable[str] | None = None) -> Select[Task]:
    query = select(Task).where(Task.project_id == project_id)
    if template_id is not None:
        query = query.where(Task.template_id == template_id)
    if before is not None:
        query = query.where(Task.id < before)
    if statuses is not None:
        query = query.where(Task.status.in_(list(statuses)))
    return query.order_by(Task.id.desc())


def list_tasks(db: DbSession, project_id: int, *, template_id: int | None = None, before: int | None = None,
               limit: int = MAX_LISTED, statuses: Iterable[str] | None = None, offset: int = 0) -> list[Task]:
    """Newest first; ``before`` (a task id) or ``offset`` pages back through older tasks;
    ``statuses`` keeps only tasks with one of these statuses."""
    query = _tasks_query(project_id, template_id, before, statuses).limit(min(limit, MAX_LISTED))
    return list(db.scalars(query.offset(offset) if offset else query))


def get_task(db: DbSession, project_id: int, task_id: int) -> Task:
    task = db.scalar(select(Task).where(Task.project_id == project_id, Task.id == task_id))
    if task is None:
        raise NotFound("task not found")
    return task


def with_templates(db: DbSession, tasks: Iterable[Task]) -> builtins.list[dict[str, Any]]:
    """Tasks as lists show them (TaskWithTpl): with template fields, author name and build task."""
    tasks = list(tasks)
    if not tasks:
        return []
    templates = {t.id: t for t in db.scalars(select(Template).where(Template.id.in_({t.template_id for t in tasks})))}
    user_ids = {t.user_id for t in tasks if t.user_id is not None}
    names = {uid: name for uid, name in db.execute(select(User.id, User.name).where(User.id.in_(user_ids)))}
    build_ids = {t.build_task_id for t in tasks if t.build_task_id is not None}
    builds = {b.id: b for b in db.scalars(select(Task).where(Task.id.in_(build_ids)))} if build_ids else {}
    views = []
    for task in tasks:
        template = templates[task.template_id]
        view = {name: getattr(task, name) for name in TASK_COLUMNS}
        view.update(tpl_playbook=template.playbook, tpl_alias=template.name, tpl_type=template.type,
                    tpl_app=template.app, user_name=names.get(task.user_id) if task.user_id else None,
                    build_task=builds.get(task.build_task_id) if task.build_task_id else None)
        views.append(view)
    return views


def last_tasks(db: DbSession, project_id: int, template_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The newest task of each of these templates, by template id."""
    newest = (select(func.max(Task.id)).where(Task.project_id == project_id, Task.template_id.in_(list(template_ids)))
              .group_by(Task.template_id))
    tasks = db.scalars(select(Task).where(Task.id.in_(newest)))
    return {view["template_id"]: view for view in with_templates(db, tasks)}


def task_output(db: DbSession, task: Task, after: int | None, limit: int) -> list[Row[Any]]:
    """A page of output lines in ``seq`` order: ``limit`` lines after the seq ``after``. Plain rows,
    not ORM objects: a page may hold a hundred thousand lines."""
    query = (select(TaskOutput.task_id, TaskOutput.seq, TaskOutput.time, TaskOutput.output)
             .where(TaskOutput.task_id == task.id))
    if after is not None:
        query = query.where(TaskOutput.seq > after)
    return list(db.execute(query.order_by(TaskOutput.seq).limit(limit)))


# CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-byte escapes.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
STREAM_PAGE = 5_000  # lines read per query while streaming the whole output


def strip_ansi(text: str) -> str:
    return ANSI_ESCAPE.sub("", text) if "\x1b" in text else text


def _stored_pages(database: Database, task_id: int, after: int) -> Iterator[Sequence[Any]]:
    """The task's output lines after the seq ``after``, in ``seq`` order, a page at a time. Each page
    is read in its own short transaction (keyset paging on the primary key), so a log of millions of
    lines streams in flat memory and holds no connection while the client reads."""
    while True:
        with database.engine.connect() as conn:
            rows = conn.execute(select(TaskOutput.task_id, TaskOutput.seq, TaskOutput.time, TaskOutput.output)
                                .where(TaskOutput.task_id == task_id, TaskOutput.seq > after)
                                .order_by(TaskOutput.seq).limit(STREAM_PAGE)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def raw_output(database: Database, task_id: int) -> Iterator[bytes]:
    """The task's output as plain text (ANSI escape codes removed), a line per line, streamed."""
    for rows in _stored_pages(database, task_id, 0):
        yield strip_ansi("\n".join([row.output for row in rows]) + "\n").encode()


def output_json(database: Database, task_id: int, after: int = 0) -> Iterator[bytes]:
    """Every output line after the seq ``after`` as one JSON array, streamed a page of lines at a
    time. The lines are TaskOutputSchema's, built here directly: a log may hold millions of lines
    and the schema takes four times as long (tests compare both)."""
    yield b"["
    separator = b""
    for rows in _stored_pages(database, task_id, after):
        page = json.dumps([{"task_id": row.task_id, "task": "", "time": row.time.isoformat(), "output": row.output,
                            "seq": row.seq} for row in rows])
        yield separator + page[1:-1].encode()
        separator = b","
    yield b"]"


# -- queueing a run ---------------------------------------------------------------------------

def create_task(db: DbSession, state: AppState, project_id: int, user: User | None, data: dict[str, Any]) -> Task:
    """Validate a run request (by the template's executor in ``state.registry``) and queue it as a
    ``waiting`` task. ``data`` is a TaskCreateSchema load; ``secret`` is kept encrypted (with
    ``state.secrets``) until the run ends, never returned. :func:`enqueue` makes it known."""
    template = db.get(Template, data["template_id"])
    if template is None or template.project_id != project_id:
        raise ValidationError(f"no such template in this project (id {data['template_id']})", field="template_id")
    executor = _require_executor(state.registry.executors, template)
    executor.validate_task(json_fields(template), _parsed_request(data))
    arguments = _task_arguments(template, data.get("arguments"))
    playbook = _task_playbook(template, data.get("playbook"))
    git_branch = data.get("git_branch") or None
    if git_branch and not template.allow_override_branch_in_task:
        raise ValidationError("the template does not allow overriding the branch", field="git_branch")
    require_in_project(db, Inventory, data.get("inventory_id"), project_id, "inventory_id")
    require_inventory_type(db, executor, data.get("inventory_id"), "inventory_id")
    build_task_id = _build_task_id(db, template, data.get("build_task_id"))

    # Counting the task locks the template row, so concurrent builds get distinct versions.
    db.execute(update(Template).where(Template.id == template.id).values(tasks=Template.tasks + 1),
               execution_options={"synchronize_session": False})
    db.expire(template, ["tasks"])
    task = Task(
        template_id=template.id, project_id=project_id, status=TaskStatus.WAITING.value,
        debug=data.get("debug", False), dry_run=data.get("dry_run", False), diff=data.get("diff", False),
        playbook=playbook, environment=data.get("environment"),
        hosts_limit=data.get("limit") or None, arguments=arguments, git_branch=git_branch,
        params=data.get("params"), user_id=user.id if user else None, inventory_id=data.get("inventory_id"),
        build_task_id=build_task_id, schedule_id=data.get("schedule_id"), integration_id=data.get("integration_id"),
        created=utcnow(), message=data.get("message") or "", version=_build_version(db, template),
        secret=_encrypted_secret(state.secrets, data.get("secret")),
    )
    db.add(task)
    db.flush()
    activity.record(db, user, project_id, "task", task.id, template.name, activity.CREATED,
                    f"Task ID {task.id} queued for running")
    return task


def _encrypted_secret(box: SecretBox, secret: str | None) -> str | None:
    return encrypt_payload(box, secret) if secret and json.loads(secret) else None


def _require_executor(executors: Mapping[str, Executor], template: Template) -> Executor:
    if template.app not in executors:
        available = ", ".join(sorted(repr(app_id) for app_id in executors)) or "none"
        raise ValidationError(f"no executor for app {template.app!r} is installed (available: {available})",
                              field="template_id")
    return executors[template.app]


def _parsed_request(data: dict[str, Any]) -> dict[str, Any]:
    """The run request as executors validate it: its JSON text fields parsed."""
    parsed = {name: value for name, value in data.items() if name != "secret"}
    for name in ("params", "environment"):
        parsed[name] = json.loads(data[name]) if data.get(name) else {}
    return parsed


def _task_arguments(template: Template, arguments: str | None) -> str | None:
    if not arguments or not json.loads(arguments):
        return None
    if not template.allow_override_args_in_task:
        raise ValidationError("the template does not allow overriding arguments", field="arguments")
    return arguments


def _task_playbook(template: Template, playbook: str | None) -> str | None:
    """Another playbook or script than the template's runs other code than the one a manager chose:
    allowed only where the template lets a run override its arguments."""
    if not playbook:
        return None
    if playbook != template.playbook and not template.allow_override_args_in_task:
        raise ValidationError("the template does not allow running another playbook or script", field="playbook")
    return playbook


def _build_task_id(db: DbSession, template: Template, requested: int | None) -> int | None:
    """The build a deploy task deploys: the one asked for, or the newest successful build."""
    if template.type != "deploy":
        if requested is not None:
            raise ValidationError("only tasks of deploy templates take a build task", field="build_task_id")
        return None
    if requested is None:
        if template.build_template_id is None:
            return None
        newest = db.scalar(select(Task.id).where(Task.template_id == template.build_template_id,
                                                 Task.status == TaskStatus.SUCCESS.value)
                           .order_by(Task.id.desc()).limit(1))
        if newest is None:
            raise ValidationError("the build template has no successful task yet", field="build_task_id")
        return newest
    build = db.get(Task, requested)
    if build is None or build.project_id != template.project_id:
        raise ValidationError(f"no such task in this project (id {requested})", field="build_task_id")
    if template.build_template_id is not None and build.template_id != template.build_template_id:
        raise ValidationError("is not a task of the template's build template", field="build_task_id")
    if build.status != TaskStatus.SUCCESS:
        raise ValidationError(f"the build task did not succeed (status {build.status})", field="build_task_id")
    return build.id


def _build_version(db: DbSession, template: Template) -> str | None:
    if template.type != "build" or parse_version(template.start_version) is None:
        return None
    # A locking read: on MySQL a plain read would see the snapshot from before the template lock.
    earlier = db.scalars(select(Task.version).where(Task.template_id == template.id, Task.version.is_not(None))
                         .with_for_update())
    return next_build_version(template.start_version or "", earlier)


def queue_autorun_deploys(db: DbSession, state: AppState, build_id: int) -> list[Task]:
    """After a successful build: queue every deploy template of that build that runs automatically.
    A template that cannot be queued is skipped (logged), never failing the build."""
    queued: list[Task] = []
    build = db.get(Task, build_id)
    if build is None:
        return queued
    templates = db.scalars(select(Template).where(Template.build_template_id == build.template_id,
                                                  Template.autorun.is_(True), Template.type == "deploy"))
    for template in templates.all():
        try:
            with db.begin_nested():
                queued.append(create_task(db, state, template.project_id, None,
                                          {"template_id": template.id, "build_task_id": build.id}))
        except (ValidationError, Conflict) as exc:
            log.warning("autorun of template %s after build task %s skipped: %s", template.id, build.id, exc)
    return queued


# -- changing a task --------------------------------------------------------------------------

def stop_task(db: DbSession, events: TaskEvents, user: User | None, task: Task, force: bool) -> None:
    """A task that has not started stops at once; a running one is asked to stop (``force``:
    marked stopped at once). The one way to stop a task: after the new status is committed, a
    TaskStopRequested event tells whoever runs the task to end its process."""
    if is_finished(task.status):
        raise ValidationError(f"task is already finished (status {task.status})")
    force = force or task.status in (TaskStatus.WAITING, TaskStatus.STARTING)
    if change_status(db, events, task, TaskStatus.STOPPED if force else TaskStatus.STOPPING, user=user):
        events.publish(TaskStopRequested(task, force, user))


def confirm_task(db: DbSession, events: TaskEvents, user: User, task: Task) -> None:
    """Let a task waiting for confirmation go on: its run listens to the status change."""
    if task.status != TaskStatus.WAITING_CONFIRMATION:
        raise ValidationError("task is not waiting for confirmation")
    change_status(db, events, task, TaskStatus.CONFIRMED, user=user)


def reject_task(db: DbSession, events: TaskEvents, user: User, task: Task) -> None:
    """Decline what a task waits for: it ends ``rejected`` (its run listens to the status change)."""
    if task.status != TaskStatus.WAITING_CONFIRMATION:
        raise ValidationError("task is not waiting for confirmation")
    change_status(db, events, task, TaskStatus.REJECTED, user=user)


def enqueue(db: DbSession, events: TaskEvents, queued: Iterable[Task]) -> None:
    """Make tasks that were just created known, the one way for every caller (API, webhooks,
    schedules, autoruns): commit them first, so that an engine's claim sees them, then publish a
    TaskQueued event each: viewers see ``waiting`` and this process's engine looks for work (other
    processes' engines find them by polling)."""
    queued = list(queued)
    db.commit()
    for task in queued:
        events.publish(TaskQueued(task))


def delete_task(db: DbSession, user: User, task: Task) -> None:
    """Delete a finished task and its output (the output rows go by ON DELETE CASCADE)."""
    if not is_finished(task.status):
        raise Conflict(f"task is not finished (status {task.status}): stop it first")
    template_name = db.scalar(select(Template.name).where(Template.id == task.template_id)) or ""
    activity.record(db, user, task.project_id, "task", task.id, template_name, activity.DELETED,
                    f"Task ID {task.id} deleted")
    db.delete(task)
