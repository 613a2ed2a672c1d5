"""Inbound webhooks: integrations, their matchers, value extractors and URL aliases."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base


class Integration(Base):
    __tablename__ = "project__integration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("project__template.id", ondelete="CASCADE"), index=True)
    auth_method: Mapped[str] = mapped_column(String(20), default="", server_default="")
    auth_secret_id: Mapped[int | None] = mapped_column(ForeignKey("access_key.id"), index=True, nullable=True)
    auth_header: Mapped[str | None] = mapped_column(String(255), nullable=True)
    searchable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    task_params: Mapped[str | None] = mapped_column(Text, nullable=True)


class IntegrationMatcher(Base):
    __tablename__ = "project__integration_matcher"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("project__integration.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    match_type: Mapped[str] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(50), default="equals")
    body_data_type: Mapped[str] = mapped_column(String(50), default="")
    key: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[str] = mapped_column(Text, default="")


class IntegrationExtractValue(Base):
    __tablename__ = "project__integration_extract_value"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("project__integration.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    value_source: Mapped[str] = mapped_column(String(50))
    body_data_type: Mapped[str] = mapped_column(String(50), default="")
    key: Mapped[str] = mapped_column(Text, default="")
    variable: Mapped[str] = mapped_column(String(255), default="")


class IntegrationAlias(Base):
    """A webhook URL suffix: of one integration, or (integration_id None) of the whole project."""

    __tablename__ = "project__integration_alias"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias: Mapped[str] = mapped_column(String(50), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("project__integration.id", ondelete="CASCADE"), index=True, nullable=True)
