"""Server-wide administration: the task queue of every project, template apps and stored options."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import MAX_INT, RequestSchema, ResponseSchema, no_control_characters

APP_TEXT_MAX = 1000  # the original's option values hold at most 1000 characters
OPTION_KEY = r"\A[A-Za-z0-9_.]+\Z"  # the original: ^[\w.]+$ (ASCII)


class TaskQueueEntrySchema(ResponseSchema):
    task_id = fields.Integer()
    project_id = fields.Integer()
    username = fields.String(allow_none=True, metadata={"description": "who started it (none: a schedule, "
                                                                      "an integration or an autorun)"})
    runner_id = fields.Integer(allow_none=True)
    status = fields.String()
    location = fields.String(metadata={"description": "queue: not started yet; running: claimed by a server"})


class AppSchema(ResponseSchema):
    id = fields.String()
    title = fields.String()
    active = fields.Boolean()
    installed = fields.Boolean(metadata={"description": "an executor plugin for this app is installed"})
    priority = fields.Integer()
    icon = fields.String()
    color = fields.String()
    dark_color = fields.String()
    path = fields.String()
    args = fields.List(fields.String())
    plugin = fields.String(allow_none=True)


def _app_text() -> fields.String:
    return fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=APP_TEXT_MAX), no_control_characters])


class AppWriteSchema(RequestSchema):
    """An app's settings, each stored as the option ``apps.<id>.<field>``; a field that is absent,
    null, "" or [] removes its option (the executor's or the config file's value applies again)."""

    active = fields.Boolean(load_default=None, allow_none=True)
    priority = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=-MAX_INT, max=MAX_INT))
    title = _app_text()
    icon = _app_text()
    color = _app_text()
    dark_color = _app_text()
    path = _app_text()
    args = fields.List(fields.String(validate=validate.Length(max=APP_TEXT_MAX)), load_default=None, allow_none=True,
                       validate=validate.Length(max=100))


class AppActiveSchema(RequestSchema):
    active = fields.Boolean(required=True)


class OptionSchema(ResponseSchema):
    key = fields.String()
    value = fields.String()


class OptionWriteSchema(RequestSchema):
    key = fields.String(required=True, validate=[validate.Length(min=1, max=255), validate.Regexp(
        OPTION_KEY, error="may hold only letters, digits, _ and .")])
    value = fields.String(required=True, validate=validate.Length(max=APP_TEXT_MAX))
