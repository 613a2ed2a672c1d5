"""Tasks (runs of a template) and their output lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base
from semaphore.db.types import UTCDateTime, utcnow


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (Index("ix_task_status_project", "status", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("project__template.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(30), default="waiting")
    debug: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    diff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    playbook: Mapped[str | None] = mapped_column(String(255), nullable=True)
    environment: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object of extra vars
    hosts_limit: Mapped[str | None] = mapped_column(Text, nullable=True)
    arguments: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON array
    git_branch: Mapped[str | None] = mapped_column(String(255), nullable=True)
    params: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object, app-specific
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True, nullable=True)
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__integration.id", ondelete="SET NULL"), index=True, nullable=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__schedule.id", ondelete="SET NULL"), index=True, nullable=True)
    inventory_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__inventory.id", ondelete="SET NULL"), index=True, nullable=True)
    build_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("task.id", ondelete="SET NULL"), index=True, nullable=True)
    runner_id: Mapped[int | None] = mapped_column(
        ForeignKey("runner.id", ondelete="SET NULL"), index=True, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    commit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    commit_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The claim: the node (server process, see cluster/nodes.py) running the task and when it claimed
    # it. A task that is active but whose node died is finished as an orphan (see engine/recovery.py).
    # A task handed to a runner has no claimed_by; its heartbeat is when its job was last handed
    # over, cleared once the runner confirmed it has the job (see engine/runner_dispatch.py).
    claimed_by: Mapped[str | None] = mapped_column(String(100), index=True, nullable=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The run's secret extra vars, encrypted like the key store; cleared when the task finishes.
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)


class TaskOutput(Base):
    """One line of a task's log, numbered by ``seq`` within the task."""

    __tablename__ = "task__output"

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Lines are cut at 1 MiB (tasks/log.py); MySQL's TEXT holds only 64 KiB.
    output: Mapped[str] = mapped_column(Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"), default="")


class TaskHostResult(Base):
    """What a task did on one host (ansible's PLAY RECAP line and its failed tasks)."""

    __tablename__ = "task__host_result"

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    ok: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    unreachable: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    rescued: Mapped[int] = mapped_column(Integer, default=0)
    ignored: Mapped[int] = mapped_column(Integer, default=0)
    # JSON array of {"task", "message"}; MEDIUMTEXT on MySQL, where TEXT holds only 64 KiB.
    failures: Mapped[str] = mapped_column(Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"), default="[]")
