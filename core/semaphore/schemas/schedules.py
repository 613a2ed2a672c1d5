"""Schedules: run a template on a cron, or on a cron only when its repository has a new commit."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import (
    OptionalString,
    RequestSchema,
    ResponseSchema,
    id_field,
    no_control_characters,
    optional_id,
    read_only_id,
)


class ScheduleSchema(ResponseSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    template_id = fields.Integer()
    cron_format = fields.String()
    name = fields.String()
    active = fields.Boolean()
    repository_id = fields.Integer(allow_none=True, metadata={"description": "set: run only on a new commit"})
    last_commit_hash = fields.String(allow_none=True)
    tpl_name = fields.String(metadata={"description": "the template's name"})
    timezone = fields.String(allow_none=True, metadata={
        "description": "IANA zone; null: the server's schedule.timezone"})
    effective_timezone = fields.String(metadata={"description": "the zone the cron runs in"})
    next_runs = fields.List(fields.String(), metadata={
        "description": "the next fire times, ISO 8601 UTC; empty while the schedule is off"})


def timezone_field() -> fields.String:
    return OptionalString(validate=validate.Length(max=64), metadata={
        "description": "IANA zone such as Europe/Berlin; empty or null: the server's schedule.timezone"})


def cron_field() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "5-field cron expression, e.g. \"*/15 * * * *\""})


class ScheduleWriteSchema(RequestSchema):
    id = read_only_id()
    project_id = read_only_id()
    template_id = id_field(required=True)
    cron_format = cron_field()
    name = fields.String(load_default="", allow_none=True, validate=[validate.Length(max=255), no_control_characters])
    active = fields.Boolean(load_default=True)
    repository_id = optional_id()
    timezone = timezone_field()


class CronSchema(RequestSchema):
    cron_format = cron_field()
    timezone = timezone_field()


class NextRunsSchema(ResponseSchema):
    timezone = fields.String(metadata={"description": "the zone the cron was read in"})
    next_runs = fields.List(fields.String(), metadata={"description": "the next fire times, ISO 8601 UTC"})


class ScheduleActiveSchema(RequestSchema):
    active = fields.Boolean(required=True)
