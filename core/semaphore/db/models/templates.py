"""Task templates and their vault passwords."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base


class Template(Base):
    __tablename__ = "project__template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    app: Mapped[str] = mapped_column(String(50), default="ansible")
    type: Mapped[str] = mapped_column(String(10), default="", server_default="")  # "", build, deploy
    playbook: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    inventory_id: Mapped[int | None] = mapped_column(ForeignKey("project__inventory.id"), index=True, nullable=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("project__repository.id"), index=True)
    environment_id: Mapped[int | None] = mapped_column(ForeignKey("project__environment.id"), index=True, nullable=True)
    arguments: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON array of CLI args
    allow_override_args_in_task: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allow_override_branch_in_task: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allow_parallel_tasks: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    start_version: Mapped[str | None] = mapped_column(String(20), nullable=True)
    build_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__template.id", ondelete="SET NULL"), index=True, nullable=True)
    view_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__view.id", ondelete="SET NULL"), index=True, nullable=True)
    autorun: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    git_branch: Mapped[str | None] = mapped_column(String(255), nullable=True)
    survey_vars: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON array
    suppress_success_alerts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    task_params: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object, app-specific
    runner_tag: Mapped[str | None] = mapped_column(String(50), nullable=True)  # the first of its runner tags
    runner_tags_match: Mapped[str] = mapped_column(String(3), default="all", server_default="all")  # all | any
    tasks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # tasks created, for retention


class TemplateRunnerTag(Base):
    """One of the runner tags a template's tasks need (all or any of them, as the template says)."""

    __tablename__ = "project__template_runner_tag"

    template_id: Mapped[int] = mapped_column(ForeignKey("project__template.id", ondelete="CASCADE"),
                                             primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the order they were given in


class TemplateVault(Base):
    """A vault password handed to the tool: a login_password key (type ``password``) or a vault
    password client script of the repository (type ``script``); name None = "default"."""

    __tablename__ = "project__template_vault"
    __table_args__ = (UniqueConstraint("template_id", "vault_key_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("project__template.id", ondelete="CASCADE"), index=True)
    vault_key_id: Mapped[int | None] = mapped_column(ForeignKey("access_key.id"), index=True, nullable=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    type: Mapped[str] = mapped_column(String(20), default="password", server_default="password")
    script: Mapped[str | None] = mapped_column(String(255), nullable=True)  # path inside the repository
