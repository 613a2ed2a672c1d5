"""Server-wide records: remote runners and their one-time registration tokens, the activity log and
stored options."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base
from semaphore.db.types import UTCDateTime, utcnow


class Runner(Base):
    __tablename__ = "runner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the runner token
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=True)
    webhook: Mapped[str] = mapped_column(Text, default="")
    max_parallel_tasks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    tag: Mapped[str | None] = mapped_column(String(50), nullable=True)
    public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    touched: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cleaning_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    tags: Mapped[str | None] = mapped_column(Text, nullable=True, default="[]")  # JSON list of strings
    apps: Mapped[str | None] = mapped_column(Text, nullable=True, default="[]")  # JSON list of app ids it can run
    version: Mapped[str] = mapped_column(String(100), default="", server_default="")
    registered: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RunnerRegistration(Base):
    """A one-time registration token made in the UI or API: good for one registration within its
    hour; only its sha256 hex is kept."""

    __tablename__ = "runner_registration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=True)
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UTCDateTime)
    used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True, nullable=True)


class Event(Base):
    """One line of the activity log: who did what to which object."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True, nullable=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=True)
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__integration.id", ondelete="SET NULL"), index=True, nullable=True)
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    object_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    object_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    action: Mapped[str] = mapped_column(String(20), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")


class Option(Base):
    """A stored setting with a dotted key, e.g. apps.ansible.active."""

    __tablename__ = "option"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
