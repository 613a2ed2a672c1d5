"""Several server processes on one database: the nodes (one row per server process, with its
heartbeat), the cluster bus's messages too long to travel inline, and the alerts waiting to be sent
(an outbox any node may send from)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base
from semaphore.db.types import UTCDateTime, utcnow


class Node(Base):
    """A server process (a gunicorn worker of `semaphore server`): it renews ``heartbeat`` while
    alive; tasks it claims carry its id in ``task.claimed_by``."""

    __tablename__ = "node"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str] = mapped_column(String(100), default="")
    started: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    draining: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    drained: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # when its last task ended
    stopped: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # a clean stop


class ClusterMessage(Base):
    """A bus message too long for the transport (PostgreSQL NOTIFY carries 8000 bytes): the
    notification carries its id; rows are pruned after a few minutes."""

    __tablename__ = "cluster_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AlertOutbox(Base):
    """An alert to one channel, kept until it was sent or given up: a node that has the channel
    claims it for a while (``claimed_by`` until ``claimed_until``), and a node that dies mid-send
    leaves it to another (semaphore.alerts.outbox)."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_due", "finished", "next_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    channel: Mapped[str] = mapped_column(String(100))  # the notifier's channel (slack, email, ...)
    payload: Mapped[str] = mapped_column(Text)  # the alert and where to report, JSON encrypted with the SecretBox
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # sends tried so far
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # sent or given up
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # masked: no secret
