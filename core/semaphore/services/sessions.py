"""Login sessions: created at login, touched while used, expired at logout or when idle."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Session, User
from semaphore.db.types import utcnow

TOUCH_INTERVAL = timedelta(minutes=1)  # avoid a write on every request
UNVERIFIED_TTL = timedelta(minutes=10)  # time to give the second factor after the password


def create_session(db: DbSession, user: User, ip: str, user_agent: str, verified: bool = True) -> Session:
    session = Session(user_id=user.id, ip=ip[:64], user_agent=user_agent[:1000], verified=verified)
    db.add(session)
    db.flush()
    return session


def active_session(db: DbSession, session_id: int, user_id: int, idle_days: int) -> Session | None:
    """The session if it is still valid; an idle one is expired on the way."""
    session = db.get(Session, session_id)
    if session is None or session.user_id != user_id or session.expired:
        return None
    now = utcnow()
    if now - session.last_active > timedelta(days=idle_days) or (
            not session.verified and now - session.created > UNVERIFIED_TTL):
        session.expired = True
        return None
    if session.verified and now - session.last_active > TOUCH_INTERVAL:  # a waiting one lapses by its age
        session.last_active = now
    return session


def mark_verified(db: DbSession, session_id: int) -> None:
    db.execute(update(Session).where(Session.id == session_id).values(verified=True))


def expire_session(db: DbSession, session_id: int) -> None:
    db.execute(update(Session).where(Session.id == session_id).values(expired=True))


def expire_user_sessions(db: DbSession, user_id: int) -> None:
    db.execute(update(Session).where(Session.user_id == user_id).values(expired=True))
