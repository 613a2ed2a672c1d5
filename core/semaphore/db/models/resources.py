"""Project resources: the key store, repositories, inventories, environments and views."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base


class AccessKey(Base):
    """A stored credential. ``secret`` is encrypted; with environment_id set it is an
    environment secret named ``var.<NAME>`` or ``env.<NAME>``."""

    __tablename__ = "access_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=True)
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    environment_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__environment.id", ondelete="CASCADE"), index=True, nullable=True)


class Repository(Base):
    __tablename__ = "project__repository"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    git_url: Mapped[str] = mapped_column(Text)
    git_branch: Mapped[str] = mapped_column(String(255), default="")
    ssh_key_id: Mapped[int] = mapped_column(ForeignKey("access_key.id"), index=True)
    # The local-path or file:// git_url a system administrator saved: runs may read it even outside
    # local_repository_roots, as long as git_url is still this one (see services/local_repositories).
    admin_approved_url: Mapped[str | None] = mapped_column(Text, nullable=True)


class Inventory(Base):
    __tablename__ = "project__inventory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    inventory: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(30))
    ssh_key_id: Mapped[int | None] = mapped_column(ForeignKey("access_key.id"), index=True, nullable=True)
    become_key_id: Mapped[int | None] = mapped_column(ForeignKey("access_key.id"), index=True, nullable=True)
    repository_id: Mapped[int | None] = mapped_column(ForeignKey("project__repository.id"), index=True, nullable=True)
    # The template that owns this inventory (terraform workspaces); no FK to avoid a cycle.
    holder_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Environment(Base):
    """A variable group: extra vars (``json``), process environment (``env``) and secrets."""

    __tablename__ = "project__environment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    json: Mapped[str] = mapped_column(Text, default="{}")
    env: Mapped[str | None] = mapped_column(Text, nullable=True)


class View(Base):
    """A tab that groups templates."""

    __tablename__ = "project__view"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
