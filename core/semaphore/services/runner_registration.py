"""How a runner joins and leaves: registration with the global token or a one-time token, the
runner token that authenticates every later request, and unregistration.

Tokens are 32 random bytes in standard base64 (as the original's); only their sha256 hex is
stored, so a copy of the database authenticates nobody. A one-time token is spent by a
conditional UPDATE in the registration's own transaction: two runners racing with the same token
cannot both win, and a registration that fails later leaves the token unspent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Runner, RunnerRegistration, User
from semaphore.db.types import utcnow
from semaphore.errors import Unauthorized, ValidationError
from semaphore.services import activity
from semaphore.services.runners import set_tags

#: How long a one-time registration token made in the UI or API is good for.
REGISTRATION_LIFETIME = timedelta(hours=1)
#: The original's answer to a bad registration token, kept word for word.
INVALID_REGISTRATION = "Invalid registration token"
TOKEN_HEADER = "X-Runner-Token"


def new_token() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_registration_token(db: DbSession, user: User | None, project_id: int | None,
                              name: str = "") -> tuple[str, RunnerRegistration]:
    """A one-time registration token (global when ``project_id`` is None); answers the token
    itself, which is shown once and never stored. Expired tokens go at the same time: they can
    register nothing any more."""
    token = new_token()
    now = utcnow()
    db.execute(delete(RunnerRegistration).where(RunnerRegistration.expires <= now))
    row = RunnerRegistration(token=token_hash(token), project_id=project_id, name=name, created=now,
                             expires=now + REGISTRATION_LIFETIME, created_by=user.id if user else None)
    db.add(row)
    db.flush()
    activity.record(db, user, project_id, "runner", None, name or f"registration {row.id}", activity.CREATED,
                    f"Runner registration token {row.id} created" + (f" for {name}" if name else ""))
    return token, row


def register(db: DbSession, global_token: str, data: dict[str, Any]) -> tuple[Runner, str]:
    """A new runner from a registration body (validated by RegistrationSchema); answers it and
    its token. 400 :data:`INVALID_REGISTRATION` for a wrong, used or expired token."""
    now = utcnow()
    presented = data["registration_token"]
    project_id: int | None = None
    name = data["name"]
    if not (global_token and hmac.compare_digest(presented.encode(), global_token.encode())):
        registration = _spend_one_time_token(db, presented, now)
        project_id = registration.project_id
        name = name or registration.name
    token = new_token()
    runner = Runner(token=token_hash(token), project_id=project_id, name=name, webhook=data["webhook"],
                    max_parallel_tasks=data["max_parallel_tasks"], active=True, public_key=data["public_key"],
                    apps=json.dumps(data["apps"]), version=data["version"], registered=now, touched=now)
    set_tags(runner, data["tags"])
    db.add(runner)
    db.flush()
    if not runner.name:
        runner.name = f"runner-{runner.id}"
    activity.record(db, None, project_id, "runner", runner.id, runner.name, activity.CREATED,
                    f"Runner {runner.name} registered")
    return runner, token


def _spend_one_time_token(db: DbSession, presented: str, now: datetime) -> RunnerRegistration:
    row = db.scalar(select(RunnerRegistration).where(RunnerRegistration.token == token_hash(presented)))
    if row is None or row.used is not None or row.expires <= now:
        raise ValidationError(INVALID_REGISTRATION)
    spent = db.execute(update(RunnerRegistration)
                       .where(RunnerRegistration.id == row.id, RunnerRegistration.used.is_(None))
                       .values(used=now).execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # type: ignore[attr-defined]  # another registration spent it meanwhile
        raise ValidationError(INVALID_REGISTRATION)
    return row


def authenticate(db: DbSession, token: str | None) -> Runner:
    """The runner whose token this is, its last-seen time updated; 401 for a missing, wrong or
    revoked (deleted) runner's token. The same answer for all three: a caller learns nothing."""
    if not token:
        raise Unauthorized(f"{TOKEN_HEADER} header required")
    runner = db.scalar(select(Runner).where(Runner.token == token_hash(token)))
    if runner is None:
        raise Unauthorized("invalid runner token")
    runner.touched = utcnow()
    return runner


def unregister(db: DbSession, runner: Runner) -> None:
    """The runner asked to leave: its row goes; its finished tasks keep their history (runner_id
    null); the caller has decided its unfinished tasks first (engine.runner_reconcile.release_removed)."""
    activity.record(db, None, runner.project_id, "runner", runner.id, runner.name, activity.DELETED,
                    f"Runner {runner.name} unregistered")
    db.delete(runner)
