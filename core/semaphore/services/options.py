"""Stored options: settings with dotted keys in the ``option`` table (e.g. ``apps.ansible.active``),
as the original keeps them. Admins read and write them through /api/options; services/apps.py
reads the ``apps.*`` ones."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Option


def all_options(db: DbSession) -> dict[str, str]:
    return {key: value for key, value in db.execute(select(Option.key, Option.value).order_by(Option.key))}


def set_option(db: DbSession, key: str, value: str) -> Option:
    """Insert or update one option."""
    option = db.get(Option, key)
    if option is None:
        option = Option(key=key, value=value)
        db.add(option)
    else:
        option.value = value
    db.flush()
    return option


def delete_options(db: DbSession, keys: Iterable[str]) -> None:
    keys = list(keys)
    if keys:
        db.execute(delete(Option).where(Option.key.in_(keys)))
