"""TOTP two-factor authentication: enrolment, login challenge, recovery codes, reset.

The secret is stored encrypted with the key store's key. Enrolment is pending until the user
proves the authenticator works with a first code; a pending enrolment expires after
``PENDING_TTL``. Each accepted code's time step is stored so a code cannot be used twice, and
failures are rate limited per user. Recovery codes carry 80 random bits each, so a SHA-256 of
each is stored (a slow hash protects guessable passwords, not random codes); each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from datetime import timedelta

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import LoginFailure, Session, User, UserTotp
from semaphore.db.types import utcnow
from semaphore.errors import Conflict, Forbidden, NotFound, ValidationError
from semaphore.services.login import record_failure, refuse_if_too_many
from semaphore.state import AppState

ISSUER = "Semaphore"
PENDING_TTL = timedelta(minutes=15)
RECOVERY_CODE_COUNT = 8
RECOVERY_CODE_BYTES = 10
FAILURE_WINDOW = timedelta(minutes=5)
MAX_FAILURES = 5
VALID_WINDOW = 1  # also accept the code of the step before and after (clock drift)
STEP_SECONDS = 30


def require_enabled(state: AppState) -> None:
    if not state.config.auth.totp.enabled:
        raise Forbidden("two-factor authentication is not enabled on this server", code="TOTP_DISABLED")


def active_totp(db: DbSession, user_id: int) -> UserTotp | None:
    return db.scalar(select(UserTotp).where(UserTotp.user_id == user_id, UserTotp.confirmed.is_(True)))


def challenge_needed(db: DbSession, state: AppState, user: User) -> bool:
    """Whether a new login of ``user`` must be completed with a code."""
    return state.config.auth.totp.enabled and active_totp(db, user.id) is not None


# -- enrolment -------------------------------------------------------------------------------


def begin_enrolment(db: DbSession, state: AppState, user: User) -> tuple[UserTotp, str, list[str]]:
    """A new pending enrolment (replacing an earlier pending one): the row, its secret and the
    recovery codes, which are shown now and never again."""
    require_enabled(state)
    if active_totp(db, user.id) is not None:
        raise Conflict("two-factor authentication is already on; turn it off first to enrol again")
    db.execute(delete(UserTotp).where(UserTotp.user_id == user.id))
    secret = pyotp.random_base32()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)] if state.config.auth.totp.allow_recovery else []
    row = UserTotp(user_id=user.id, secret=state.secrets.encrypt(secret.encode()), confirmed=False,
                   recovery_hashes=" ".join(recovery_hash(code) for code in codes))
    db.add(row)
    db.flush()
    return row, secret, codes


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email or user.username, issuer_name=ISSUER)


def pending_enrolment(db: DbSession, state: AppState, user: User, totp_id: int) -> tuple[UserTotp, str]:
    """The user's pending enrolment ``totp_id`` and its secret; NotFound when there is none or it
    expired."""
    row = db.get(UserTotp, totp_id)
    if row is None or row.user_id != user.id or row.confirmed:
        raise NotFound("no pending two-factor enrolment with this id")
    if utcnow() - row.created > PENDING_TTL:
        db.delete(row)
        raise NotFound("the enrolment expired; start again")
    return row, secret_of(state, row)


def confirm_enrolment(db: DbSession, state: AppState, user: User, totp_id: int, passcode: str,
                      keep_session_id: int | None) -> UserTotp:
    """Turn the pending enrolment on once ``passcode`` fits; every other session of the user ends."""
    require_enabled(state)
    row, _ = pending_enrolment(db, state, user, totp_id)
    check_passcode(db, state, row, passcode)
    row.confirmed = True
    _end_sessions(db, user, keep_session_id)
    return row


def remove_enrolment(db: DbSession, user: User, totp_id: int, keep_session_id: int | None) -> None:
    """Turn two-factor authentication off (by the user or an admin); the user's other sessions end."""
    row = db.get(UserTotp, totp_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no two-factor enrolment with this id")
    db.delete(row)
    _end_sessions(db, user, keep_session_id)


def turn_off(db: DbSession, user: User) -> bool:
    """Remove any enrolment of ``user`` and end all their sessions (the host's own way back in for
    a locked-out admin); whether there was one."""
    removed = db.execute(delete(UserTotp).where(UserTotp.user_id == user.id)).rowcount  # type: ignore[attr-defined]
    _end_sessions(db, user, None)
    return bool(removed)


def _end_sessions(db: DbSession, user: User, keep_session_id: int | None) -> None:
    sessions = update(Session).where(Session.user_id == user.id)
    if keep_session_id is not None:
        sessions = sessions.where(Session.id != keep_session_id)
    db.execute(sessions.values(expired=True))


# -- codes -----------------------------------------------------------------------------------


def secret_of(state: AppState, row: UserTotp) -> str:
    return state.secrets.decrypt(row.secret).decode()


def check_passcode(db: DbSession, state: AppState, row: UserTotp, passcode: str) -> None:
    """Accept ``passcode`` once, or raise (400 INVALID_PASSCODE, 429 when too many failures)."""
    check_rate(db, row.user_id)
    code = "".join(passcode.split())
    step = _matching_step(secret_of(state, row), code)
    if step is None:
        _fail(state, row.user_id)
        raise ValidationError("the code is wrong or expired", field="passcode", code="INVALID_PASSCODE")
    replayed = ValidationError("this code was already used; wait for the next one", field="passcode",
                               code="TOTP_REPLAYED")
    if row.last_step is not None and step <= row.last_step:
        _fail(state, row.user_id)
        raise replayed
    # Conditional update: of two requests with the same code at once, only one moves last_step on.
    used = db.execute(update(UserTotp).where(UserTotp.id == row.id, (UserTotp.last_step.is_(None))
                                             | (UserTotp.last_step < step)).values(last_step=step))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise replayed
    _clear_failures(db, row.user_id)


def _matching_step(secret: str, code: str) -> int | None:
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // STEP_SECONDS
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def use_recovery_code(db: DbSession, state: AppState, row: UserTotp, recovery_code: str) -> None:
    """Spend one recovery code, or raise (400 INVALID_RECOVERY_CODE, 429 when too many failures)."""
    if not state.config.auth.totp.allow_recovery:
        raise Forbidden("recovery codes are not allowed on this server", code="TOTP_RECOVERY_DISABLED")
    check_rate(db, row.user_id)
    wanted = recovery_hash(recovery_code)
    hashes = row.recovery_hashes.split()
    if wanted not in hashes:
        _fail(state, row.user_id)
        raise ValidationError("the recovery code is wrong or was used", field="recovery_code",
                              code="INVALID_RECOVERY_CODE")
    remaining = " ".join(h for h in hashes if h != wanted)
    spent = db.execute(update(UserTotp).where(UserTotp.id == row.id, UserTotp.recovery_hashes == row.recovery_hashes)
                       .values(recovery_hashes=remaining))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the recovery codes changed meanwhile; try again")
    _clear_failures(db, row.user_id)


def remaining_recovery_codes(row: UserTotp) -> int:
    return len(row.recovery_hashes.split())


def new_recovery_code() -> str:
    """Ten random bytes in base32, in groups of four: ``ABCD-EFGH-IJKL-MNOP``."""
    text = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def recovery_hash(code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


# -- rate limit ------------------------------------------------------------------------------


def _failure_key(user_id: int) -> str:
    return f"totp:{user_id}"


def check_rate(db: DbSession, user_id: int) -> None:
    refuse_if_too_many(db, LoginFailure.login, _failure_key(user_id), FAILURE_WINDOW, MAX_FAILURES,
                       "too many wrong codes; try again later")


def _fail(state: AppState, user_id: int) -> None:
    """Counted in its own transaction, as failed logins are (so the request must not have written
    before: SQLite would wait for its own lock)."""
    record_failure(state, _failure_key(user_id), "")


def _clear_failures(db: DbSession, user_id: int) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.login == _failure_key(user_id)))
