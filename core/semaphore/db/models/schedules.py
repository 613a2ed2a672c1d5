"""Cron schedules of templates."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base


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
