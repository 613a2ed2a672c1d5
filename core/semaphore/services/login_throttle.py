"""Failed password logins slow down one address guessing one account, and nobody else.

Failures are counted per (account, client address). The first FREE_FAILURES cost nothing; after
that each attempt must wait after the pair's last failure, twice as long each time (1, 2, 4 ...
seconds, at most MAX_DELAY), or it is refused with 429 and ``Retry-After``. So an attacker who
guesses one account from one address gets about a hundred guesses a day, while the owner of the
account, on another address, logs in as usual, and so does everyone else behind the attacker's
address. Failures live in the database (servers sharing it share them) for MEMORY; a successful
login forgets its pair's failures.

An attempt is written as a failure before the password is checked, and taken back when it succeeds
or cannot be decided (a directory that does not answer): parallel guesses therefore see each other
and cannot all slip through one allowed moment.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import LoginFailure
from semaphore.db.types import utcnow
from semaphore.errors import TooManyRequests
from semaphore.state import AppState

FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=15)
MEMORY = timedelta(days=1)  # the longest any failure (login or second factor) is kept


def delay_after(failures: int) -> timedelta:
    """How long the pair waits after its last failure, given how many it has."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_DELAY)


def begin_attempt(state: AppState, account: str, address: str) -> int:
    """Count an attempt of ``address`` on ``account`` (in its own transaction, so that it stays when
    the request fails); its id, for :func:`undecided`. TooManyRequests while the pair must wait."""
    account, address = account[:255], address[:64]
    with state.db.session() as db:
        failures, last = db.execute(select(func.count(), func.max(LoginFailure.created)).where(
            LoginFailure.login == account, LoginFailure.ip == address,
            LoginFailure.created > utcnow() - MEMORY)).one()
        _refuse_while_waiting(failures, last)
        db.execute(delete(LoginFailure).where(LoginFailure.created < utcnow() - MEMORY))
        attempt = LoginFailure(login=account, ip=address)
        db.add(attempt)
        db.flush()
        return int(attempt.id)


def _refuse_while_waiting(failures: int, last: datetime | None) -> None:
    if last is None:
        return
    wait = (last + delay_after(failures) - utcnow()).total_seconds()
    if wait > 0:
        raise TooManyRequests("too many failed logins from this address; try again later",
                              retry_after=max(1, math.ceil(wait)))


def succeeded(db: DbSession, account: str, address: str) -> None:
    """The password was right: the pair starts afresh (other addresses' failures stay)."""
    db.execute(delete(LoginFailure).where(LoginFailure.login == account[:255], LoginFailure.ip == address[:64]))


def undecided(state: AppState, attempt_id: int) -> None:
    """Take back an attempt that neither succeeded nor failed (own transaction: the request fails)."""
    with state.db.session() as db:
        db.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))
