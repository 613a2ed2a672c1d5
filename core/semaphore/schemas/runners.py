"""Remote runners: the registration body a runner sends, and the runners as the admin and project
API show them (the original's field names, plus tags, apps, version, touched, online and
running_tasks). A runner's token is never answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from marshmallow import ValidationError, fields, validate, validates_schema

from semaphore.schemas.base import RequestSchema, ResponseSchema, Text, no_control_characters, read_only_id

MAX_TAGS = 50
MAX_WEBHOOK = 2048
#: An X25519 public key in PEM is about 113 bytes; anything much longer is no such key.
MAX_PUBLIC_KEY = 1024


def x25519_public_key(value: str) -> None:
    """The runner's key pair is X25519: job payloads are sealed to this key, so anything else
    (an RSA key of the original's runners, garbage) is bad input, not a runner we cannot serve."""
    try:
        key = load_pem_public_key(value.encode())
    except (ValueError, TypeError, UnicodeError):
        raise ValidationError("must be a PEM public key (SubjectPublicKeyInfo)") from None
    if not isinstance(key, X25519PublicKey):
        raise ValidationError("must be an X25519 public key")


def webhook_url(value: str) -> None:
    """Empty (no webhook) or an http(s) URL: the server POSTs to it, so no other scheme (file:, ftp:)."""
    if value:
        validate.URL(schemes={"http", "https"}, require_tld=False,
                     error="must be an http or https URL")(value)


def label_field(**kwargs: Any) -> fields.String:
    """A tag or an app id: short text with no control characters or blanks at the ends."""
    return fields.String(validate=[validate.Length(min=1, max=50), no_control_characters,
                                   validate.Regexp(r"^\S(.*\S)?$", error="must not start or end with a blank")],
                         **kwargs)


def labels_field(**kwargs: Any) -> fields.List:
    return fields.List(label_field(), validate=validate.Length(max=MAX_TAGS), **kwargs)


class RegistrationSchema(RequestSchema):
    """``POST /api/internal/runners``: a runner registers with a registration token."""

    registration_token = fields.String(required=True, validate=validate.Length(max=1024))
    name = fields.String(load_default="", validate=[validate.Length(max=255), no_control_characters])
    webhook = fields.String(load_default="", validate=[validate.Length(max=MAX_WEBHOOK), webhook_url])
    max_parallel_tasks = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    public_key = fields.String(required=True, validate=[validate.Length(max=MAX_PUBLIC_KEY), x25519_public_key])
    tags = labels_field(load_default=list)
    apps = labels_field(load_default=list)
    version = fields.String(load_default="", validate=[validate.Length(max=100), no_control_characters])


class RegisteredSchema(ResponseSchema):
    id = fields.Integer()
    token = fields.String(metadata={"description": "the runner token; the server keeps only its sha256"})


class RunnerSchema(ResponseSchema):
    """A runner as admins and project managers see it."""

    id = fields.Integer()
    project_id = fields.Integer(allow_none=True, metadata={"description": "null: a global runner"})
    name = Text()
    webhook = Text()
    max_parallel_tasks = fields.Integer(metadata={"description": "0 = unlimited"})
    active = fields.Boolean()
    tag = fields.String(allow_none=True, metadata={"description": "the original's single tag (the first of tags)"})
    tags = fields.List(fields.String())
    apps = fields.List(fields.String(), metadata={"description": "apps the runner reported it can run"})
    version = Text()
    touched = fields.DateTime(allow_none=True, metadata={"description": "last request of the runner"})
    registered = fields.DateTime(allow_none=True)
    online = fields.Boolean(metadata={"description": "polled within runners.offline_timeout_sec"})
    running_tasks = fields.Integer(metadata={"description": "its tasks that have not finished"})
    cleaning_requested = fields.Boolean()


class RunnerWriteSchema(RequestSchema):
    """``PUT /api/runners/{id}``: what an admin or project manager may change."""

    id = read_only_id()
    project_id = read_only_id()
    name = fields.String(validate=[validate.Length(max=255), no_control_characters])
    active = fields.Boolean()
    max_parallel_tasks = fields.Integer(validate=validate.Range(min=0, max=1000))
    webhook = fields.String(validate=[validate.Length(max=MAX_WEBHOOK), webhook_url])
    tags = labels_field()
    tag = fields.String(allow_none=True, validate=validate.Length(max=50),
                        metadata={"description": "the original's single tag: sets tags to [tag]"})


class RunnerActiveSchema(RequestSchema):
    active = fields.Boolean(required=True)


class RegistrationRequestSchema(RequestSchema):
    """``POST /api/runners``: a one-time registration token for a new runner."""

    name = fields.String(load_default="", validate=[validate.Length(max=255), no_control_characters])


class RegistrationTokenSchema(ResponseSchema):
    token = fields.String(metadata={"description": "good for one registration until expires"})
    expires = fields.DateTime()
    project_id = fields.Integer(allow_none=True)
    name = Text()
    command = fields.String(metadata={"description": "the command that registers a runner with it"})


#: Statuses a runner reports of its own run; the others (waiting, confirmed, rejected, stopping) are
#: decisions of the server or of users.
RUNNER_STATUSES = ("starting", "running", "waiting_confirmation", "success", "error", "stopped")
#: Log lines in one job of one progress report (records and chunks together); a runner sends more in the next.
MAX_LOG_LINES = 50_000
#: A log line as long as the server's own log pipeline keeps (engine.log.MAX_LINE, 1 MiB).
MAX_LOG_LINE = 1024 * 1024


def storable_time(value: datetime) -> None:
    """A time every database stores as UTC: year 1 at +14:00 is no time in UTC at all."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValidationError("is out of range") from None


class LogRecordSchema(RequestSchema):
    seq = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1),
                         metadata={"description": "the line's number in the task's log; a stored one is skipped"})
    time = fields.AwareDateTime(required=True, default_timezone=UTC, validate=storable_time)
    message = fields.String(required=True, validate=validate.Length(max=MAX_LOG_LINE))


class LogChunkSchema(RequestSchema):
    """One chunk of ``LogChunks``, as the API document shows it (LogChunksField checks it)."""

    seq = fields.Integer(required=True, metadata={"description": "the first line's number in the task's log"})
    time = fields.AwareDateTime(required=True, metadata={"description": "when the lines came (RFC 3339)"})
    lines = fields.List(fields.String(), required=True, metadata={"description": "numbered on from seq"})


class LogChunksField(fields.List):
    """``LogChunks``: consecutive lines with one time each, ``{"seq": first, "time": RFC 3339,
    "lines": [...]}``. Checked in one pass, as a report carries thousands of chunks and a field
    object per value would cost more than storing the lines; errors name the place
    (``LogChunks.3.time``) as nested schemas do."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.Nested(LogChunkSchema), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        return [_log_chunk(index, chunk) for index, chunk in enumerate(value)]


def _log_chunk(index: int, chunk: Any) -> dict[str, Any]:
    def bad(key: str | None, message: str) -> ValidationError:
        return ValidationError({index: {key: [message]} if key else [message]})

    if not isinstance(chunk, dict):
        raise bad(None, "Invalid input type.")
    seq, stamp, lines = chunk.get("seq"), chunk.get("time"), chunk.get("lines")
    if type(seq) is not int or not 1 <= seq <= 2**63 - 1:
        raise bad("seq", "must be an integer from 1 to 2**63 - 1")
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise bad("lines", "must be a list of strings")
    if lines and max(map(len, lines)) > MAX_LOG_LINE:
        raise bad("lines", f"a line is longer than {MAX_LOG_LINE} characters")
    if seq + len(lines) - 1 > 2**63 - 1:
        raise bad("lines", "numbers lines beyond 2**63 - 1")
    try:
        when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        if when is not None:
            when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        when = None
    if when is None:
        raise bad("time", "must be an RFC 3339 time")
    return {"seq": seq, "time": when, "lines": lines}


class CommitSchema(RequestSchema):
    hash = fields.String(load_default="", validate=validate.Length(max=64))
    message = fields.String(load_default="", validate=validate.Length(max=65535))


class JsonBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only (not 1, "yes" or "on")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if type(value) is not bool:
            raise ValidationError("Not a valid boolean.")
        return value


class JobProgressSchema(RequestSchema):
    id = fields.Integer(required=True, data_key="ID", validate=validate.Range(min=1, max=2**31 - 1))
    status = fields.String(load_default=None, allow_none=True, data_key="Status",
                           validate=validate.OneOf(RUNNER_STATUSES))
    log_records = fields.List(fields.Nested(LogRecordSchema), load_default=list, allow_none=True,
                              data_key="LogRecords", validate=validate.Length(max=MAX_LOG_LINES),
                              metadata={"description": "one object per line (the chunks below cost less)"})
    log_chunks = LogChunksField(load_default=list, allow_none=True, data_key="LogChunks",
                                validate=validate.Length(max=MAX_LOG_LINES),
                                metadata={"description": 'consecutive lines: [{"seq": first, "time": ..., '
                                                         '"lines": [...]}]'})
    commit = fields.Nested(CommitSchema, load_default=None, allow_none=True, data_key="Commit")
    lost = JsonBoolean(load_default=False, data_key="Lost",
                       metadata={"description": "true: the runner does not run this job (it restarted since it "
                                                "took it); the job carries nothing else"})

    @validates_schema
    def _lost_alone(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("lost") and (data.get("status") or data.get("log_records") or data.get("log_chunks")
                                 or data.get("commit")):
            raise ValidationError("a lost job carries no Status, log lines or Commit", "Lost")

    @validates_schema
    def _lines_bounded(self, data: dict[str, Any], **_kwargs: Any) -> None:
        lines = len(data.get("log_records") or ()) + sum(len(c["lines"]) for c in data.get("log_chunks") or ())
        if lines > MAX_LOG_LINES:
            raise ValidationError(f"more than {MAX_LOG_LINES} log lines in one report of a job", "LogChunks")


class ProgressSchema(RequestSchema):
    """``PUT /api/internal/runners``: what the runner's jobs did since its last report."""

    jobs = fields.List(fields.Nested(JobProgressSchema), load_default=list, allow_none=True, data_key="Jobs")
    apps = fields.List(label_field(), load_default=None, allow_none=True, validate=validate.Length(max=MAX_TAGS))
    version = fields.String(load_default=None, allow_none=True,
                            validate=[validate.Length(max=100), no_control_characters])


class CurrentJobSchema(ResponseSchema):
    id = fields.Integer(metadata={"description": "the task's id"})
    status = fields.String(metadata={"description": "the task's status on the server: what the runner's run should be"})


class NewJobSchema(ResponseSchema):
    task_id = fields.Integer()
    job = fields.String(metadata={"description": "the job (JobSpec JSON) sealed to the runner's public key, base64"})


class PollSchema(ResponseSchema):
    """``GET /api/internal/runners``: what the server wants of the runner."""

    CurrentJobs = fields.List(fields.Nested(CurrentJobSchema),
                              metadata={"description": "the runner's unfinished tasks (and those finished lately)"})
    new_jobs = fields.List(fields.Nested(NewJobSchema), metadata={"description": "tasks claimed for this runner"})
    cleaning_requested = fields.Boolean(metadata={"description": "only when true: clean the repository cache"})
