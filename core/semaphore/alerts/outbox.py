"""The alert outbox (table ``alert_outbox``): alerts wait in the database, one row per channel,
until they were sent or given up, so no alert is lost when a server process stops or dies.

A node claims one due row at a time for a lease (``claimed_by``, ``claimed_until``): with
``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL and MySQL/MariaDB, and on every database with
an UPDATE that only succeeds while the row is still free, so two nodes never both hold a row. A
node that dies mid-send leaves its row to whichever node claims it once the lease ran out. Every
outcome is recorded only by the lease's holder. The payload (the alert, with its channel's project
settings and the recipients' addresses) is JSON encrypted with the application's SecretBox.

Times are passed in (``now``) so tests need no clock; nodes compare their own clocks with the
stored ones, which is why their clocks must agree (NTP).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.crypto import SecretBox
from semaphore.db.models import AlertOutbox
from semaphore.interfaces import Alert

CANDIDATES = 5  # rows looked at per claim; another node may take one meanwhile (SQLite has no SKIP LOCKED)
_ALERT_FIELDS = frozenset(f.name for f in fields(Alert))


@dataclass(frozen=True)
class Claimed:
    """A row this node holds until its lease runs out."""

    id: int
    channel: str
    task_id: int | None
    payload: str
    attempts: int  # sends tried before this claim


def encode_payload(box: SecretBox, alert: Alert, to_task_log: bool) -> str:
    data = {f.name: getattr(alert, f.name) for f in fields(alert)}
    data["settings"] = dict(alert.settings)
    return box.encrypt(json.dumps({"alert": data, "to_task_log": to_task_log}).encode())


def decode_payload(box: SecretBox, stored: str) -> tuple[Alert, bool]:
    """The alert and whether its outcome goes to the task's log; raises DecryptionError."""
    data = json.loads(box.decrypt(stored))
    alert = {name: value for name, value in data["alert"].items() if name in _ALERT_FIELDS}
    return Alert(**alert), bool(data.get("to_task_log"))


def store(db: DbSession, box: SecretBox, alerts: Iterable[tuple[str, Alert]], to_task_log: bool,
          now: datetime) -> None:
    """One row per ``(channel, alert)``, due at once; the caller commits."""
    for channel, alert in alerts:
        db.add(AlertOutbox(task_id=alert.task_id, channel=channel, payload=encode_payload(box, alert, to_task_log),
                           created=now, next_attempt=now))


def claim(db: DbSession, node_id: str, channels: Collection[str], lease: timedelta, now: datetime) -> Claimed | None:
    """Hold the longest-due row of one of ``channels`` until ``now + lease``; None when none is due.
    Commits."""
    if not channels:
        return None
    candidates = (select(AlertOutbox.id).where(_due(channels, now))
                  .order_by(AlertOutbox.next_attempt, AlertOutbox.id).limit(CANDIDATES))
    if db.get_bind().dialect.name != "sqlite":
        candidates = candidates.with_for_update(skip_locked=True)
    for row_id in db.scalars(candidates).all():
        taken = db.execute(update(AlertOutbox).where(AlertOutbox.id == row_id, _free(now))
                           .values(claimed_by=node_id, claimed_until=now + lease))
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            row = db.execute(select(AlertOutbox.channel, AlertOutbox.task_id, AlertOutbox.payload,
                                    AlertOutbox.attempts).where(AlertOutbox.id == row_id)).one()
            db.commit()
            return Claimed(row_id, row.channel, row.task_id, row.payload, row.attempts)
    db.rollback()
    return None


def renew(db: DbSession, claimed: Claimed, node_id: str, lease: timedelta, now: datetime) -> bool:
    """Extend this node's lease (before another send of the same row); False when it was lost."""
    return _held_update(db, claimed, node_id, claimed_until=now + lease)


def sent(db: DbSession, claimed: Claimed, node_id: str, attempts: int, now: datetime) -> bool:
    """The row was delivered; False when this node no longer held it (another may send it again)."""
    return _held_update(db, claimed, node_id, attempts=attempts, finished=now, last_error=None,
                        claimed_until=None)


def failed(db: DbSession, claimed: Claimed, node_id: str, attempts: int, error: str,
           retry_at: datetime | None, now: datetime, payload: str | None = None) -> bool:
    """A send failed with ``error`` (already masked): due again at ``retry_at`` by any node, with
    ``payload`` if given (what the notifier keeps between attempts), or given up (finished) when
    ``retry_at`` is None."""
    later: dict[str, Any] = {"next_attempt": retry_at} if retry_at is not None else {"finished": now}
    if payload is not None and retry_at is not None:
        later["payload"] = payload
    return _held_update(db, claimed, node_id, attempts=attempts, last_error=error, claimed_until=None, **later)


def due_count(db: DbSession, channels: Collection[str], now: datetime) -> int:
    """Rows of ``channels`` that a claim would find now."""
    if not channels:
        return 0
    return int(db.scalar(select(func.count()).select_from(AlertOutbox).where(_due(channels, now))) or 0)


def prune(db: DbSession, finished_before: datetime, unsent_before: datetime, now: datetime) -> tuple[int, int]:
    """Delete rows finished before ``finished_before``; give up unclaimed rows created before
    ``unsent_before`` (no node sends their channel). Commits; (deleted, given up)."""
    given_up = db.execute(update(AlertOutbox).where(
        AlertOutbox.finished.is_(None), AlertOutbox.created < unsent_before, _free(now)).values(
        finished=now, claimed_until=None,
        last_error="not sent in time: no server process sends alerts of this channel (notifier not installed or "
                   "not enabled)")).rowcount  # type: ignore[attr-defined]
    deleted = db.execute(delete(AlertOutbox).where(AlertOutbox.finished < finished_before)).rowcount  # type: ignore[attr-defined]
    db.commit()
    return int(deleted or 0), int(given_up or 0)


def _due(channels: Collection[str], now: datetime) -> ColumnElement[bool]:
    return and_(AlertOutbox.finished.is_(None), AlertOutbox.next_attempt <= now,
                AlertOutbox.channel.in_(sorted(channels)), _free(now))


def _free(now: datetime) -> ColumnElement[bool]:
    """Unfinished and held by nobody (never claimed, released, or its lease ran out)."""
    return and_(AlertOutbox.finished.is_(None),
                or_(AlertOutbox.claimed_until.is_(None), AlertOutbox.claimed_until < now))


def _held_update(db: DbSession, claimed: Claimed, node_id: str, **values: Any) -> bool:
    done = db.execute(update(AlertOutbox).where(
        AlertOutbox.id == claimed.id, AlertOutbox.claimed_by == node_id, AlertOutbox.finished.is_(None),
        AlertOutbox.claimed_until.is_not(None)).values(**values))
    db.commit()
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]
