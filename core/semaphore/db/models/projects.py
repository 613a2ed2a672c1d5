"""Projects and their members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base
from semaphore.db.types import UTCDateTime, utcnow


class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alert: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    alert_chat: Mapped[str | None] = mapped_column(String(30), nullable=True)
    max_parallel_tasks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    #: The settings notifiers declare (``Notifier.project_fields``) that are no column of their own:
    #: a JSON object ``{channel: {field: value}}``; None when there are none.
    notifier_settings: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProjectUser(Base):
    __tablename__ = "project__user"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
