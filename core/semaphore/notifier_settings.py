"""The per-project settings notifier plugins declare (``Notifier.project_fields``) that are no column
of the project: one JSON object ``{channel: {field: value}}`` in ``project.notifier_settings``,
checked against the installed notifiers whenever it is written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from semaphore.db.models import Project
from semaphore.errors import ValidationError
from semaphore.execution import TemplateField
from semaphore.interfaces import Notifier
from semaphore.schemas.base import TEXT_MAX_BYTES

FIELD = "notifier_settings"
MAX_VALUE_LENGTH = 1000

#: Project columns a notifier may declare as one of its fields (Telegram: ``alert_chat``): such a
#: field is its own field of ``PUT /api/project/{id}``, never a key inside notifier_settings.
COLUMNS = frozenset(column.name for column in Project.__table__.columns) - {"id", "created", FIELD}

Settings = dict[str, dict[str, str]]


def is_column(field: TemplateField) -> bool:
    return field.name in COLUMNS


def parse(text: str | None) -> Settings:
    """The stored object; ``{}`` when there is none (or the text is not such an object)."""
    try:
        stored = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(stored, dict):
        return {}
    return {channel: {name: value for name, value in values.items() if isinstance(value, str)}
            for channel, values in stored.items() if isinstance(values, dict)}


def serialize(settings: Settings) -> str | None:
    return json.dumps(settings, sort_keys=True) if settings else None


def validated(notifiers: Mapping[str, Notifier], submitted: Mapping[str, Any], stored: Settings) -> Settings:
    """What to store for a request's ``notifier_settings``: every installed channel's settings as
    sent (the request replaces them; empty values are dropped), and the settings of a channel whose
    plugin is not installed (removed, or disabled for now) as stored — a request may send those back
    unchanged, as it read them, but not change them. Raises ValidationError naming the field."""
    result = {channel: values for channel, values in stored.items() if channel not in notifiers}
    for channel, values in submitted.items():
        notifier = notifiers.get(channel)
        if notifier is None:
            if values == stored.get(channel):
                continue
            installed = ", ".join(sorted(notifiers)) or "none"
            raise ValidationError(f"no notifier of this channel is installed (installed: {installed})",
                                  field=f"{FIELD}.{channel}")
        if not isinstance(values, Mapping):
            raise ValidationError("must be an object of the channel's settings", field=f"{FIELD}.{channel}")
        kept = _channel_values(notifier, values)
        if kept:
            result[channel] = kept
    text = serialize(result)
    if text is not None and len(text.encode()) > TEXT_MAX_BYTES:
        raise ValidationError(f"must be at most {TEXT_MAX_BYTES} bytes as JSON", field=FIELD)
    return result


def _channel_values(notifier: Notifier, values: Mapping[str, Any]) -> dict[str, str]:
    declared = {field.name: field for field in notifier.project_fields}
    own = sorted(name for name, field in declared.items() if not is_column(field))
    kept: dict[str, str] = {}
    for name, value in values.items():
        where = f"{FIELD}.{notifier.channel}.{name}"
        if name in declared and is_column(declared[name]):
            raise ValidationError(f"is a field of the project itself: send it as {name}", field=where)
        if name not in declared:
            raise ValidationError(f"the {notifier.channel} notifier declares no such setting "
                                  f"(its settings: {', '.join(own) or 'none'})", field=where)
        if not isinstance(value, str):
            raise ValidationError("must be a string", field=where)
        if len(value) > MAX_VALUE_LENGTH:
            raise ValidationError(f"must be at most {MAX_VALUE_LENGTH} characters", field=where)
        if value:
            kept[name] = value
    return kept
