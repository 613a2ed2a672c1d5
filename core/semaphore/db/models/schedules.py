"""Cron schedules of templates, and the fire times they claimed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base
from semaphore.db.types import UTCDateTime


class Schedule(Base):
    """Runs a template on a cron; with repository_id set, only when the branch has a new commit."""

    __tablename__ = "project__schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("project__template.id", ondelete="CASCADE"), index=True)
    cron_format: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    repository_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__repository.id", ondelete="CASCADE"), index=True, nullable=True)
    last_commit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # An IANA zone; empty: the server's schedule.timezone.
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Created, changed or switched on: fire times up to this moment are never fired.
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScheduleFire(Base):
    """One fire time of a schedule, claimed by the server process that fires it: the unique
    constraint lets exactly one process insert it, whatever the number of processes."""

    __tablename__ = "project__schedule_fire"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("project__schedule.id", ondelete="CASCADE"))
    fire_time: Mapped[datetime] = mapped_column(UTCDateTime)  # the cron's moment, in UTC
    # The task it started; null when it started none (no new commit, or the task could not be queued).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"), index=True,
                                                nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
