"""A template's runner tags: the list a runner's tags must cover (all of them, or any one, as
``runner_tags_match`` says). The single ``runner_tag`` of the original API stays the list's first
entry, so clients that know only it keep working."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Template, TemplateRunnerTag


def normalize_runner_tags(data: dict[str, Any]) -> None:
    """``runner_tags`` when given (without repeats), else the one ``runner_tag``; ``runner_tag``
    then answers the list's first entry. A ``runner_tag`` sent beside a list whose first entry it
    is not was edited by a client that knows only the original's field (it sent back the rest of
    what it read): it wins, as the template's one tag. (An empty ``runner_tag`` cannot be told from
    one not sent: the list decides then.)"""
    single = (data.get("runner_tag") or "").strip()
    tags = data.get("runner_tags")
    if tags is None or (single and single != (tags[0].strip() if tags else "")):
        tags = [single] if single else []
    data["runner_tags"] = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    data["runner_tag"] = data["runner_tags"][0] if data["runner_tags"] else None


def replace_runner_tags(db: DbSession, template: Template, tags: list[str]) -> None:
    db.execute(delete(TemplateRunnerTag).where(TemplateRunnerTag.template_id == template.id))
    db.add_all(TemplateRunnerTag(template_id=template.id, tag=tag, position=index) for index, tag in enumerate(tags))


def runner_tags_by_template(db: DbSession, template_ids: Iterable[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    query = (select(TemplateRunnerTag.template_id, TemplateRunnerTag.tag)
             .where(TemplateRunnerTag.template_id.in_(list(template_ids))).order_by(TemplateRunnerTag.position))
    for template_id, tag in db.execute(query):
        found.setdefault(template_id, []).append(tag)
    return found
