"""Tasks (runs of a template), their output lines and the run request."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import (
    JsonText,
    OptionalString,
    QueryArgs,
    RequestSchema,
    ResponseSchema,
    Text,
    fits_text_column,
    id_field,
    optional_id,
)

MAX_LAST = 200
MAX_SEQ = 2**63 - 1  # task__output.seq is a BIGINT
MAX_OUTPUT_PAGE = 100_000
SEARCH_PAGE = 100  # matching lines per page of an output search unless ``limit`` says otherwise
MAX_SEARCH_PAGE = 1000
MAX_SEARCH_TEXT = 200


class TaskSchema(ResponseSchema):
    id = fields.Integer()
    template_id = fields.Integer()
    project_id = fields.Integer()
    status = fields.String()
    debug = fields.Boolean()
    dry_run = fields.Boolean()
    diff = fields.Boolean()
    playbook = Text(metadata={"description": "the template's playbook override; empty when none"})
    environment = Text(metadata={"description": "extra variables of this run: a JSON object as text; empty when none"})
    limit = Text(attribute="hosts_limit")
    arguments = fields.String(allow_none=True)
    git_branch = fields.String(allow_none=True)
    params = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    integration_id = fields.Integer(allow_none=True)
    schedule_id = fields.Integer(allow_none=True)
    inventory_id = fields.Integer(allow_none=True)
    build_task_id = fields.Integer(allow_none=True)
    created = fields.DateTime()
    start = fields.DateTime(allow_none=True)
    end = fields.DateTime(allow_none=True)
    message = Text()
    commit_hash = fields.String(allow_none=True)
    commit_message = Text()
    version = fields.String(allow_none=True)


class TaskDetailSchema(TaskSchema):
    """One task as its own endpoint answers it."""

    runner_id = fields.Integer(allow_none=True, metadata={
        "description": "the remote runner the task was handed to; null when none (yet) or the server runs it"})
    runner_name = fields.String(allow_none=True, metadata={
        "description": "that runner's name (#id for a runner without one); null without a runner"})
    waiting_reason = fields.String(allow_none=True, metadata={
        "description": "why no remote runner takes the waiting task (no online runner, app, tags; all busy); "
                       "null otherwise"})


class TaskWithTplSchema(TaskSchema):
    """A task with what lists show about its template, author and build."""

    tpl_playbook = Text()
    tpl_alias = Text(metadata={"description": "the template's name"})
    tpl_type = Text()
    tpl_app = Text()
    user_name = fields.String(allow_none=True)
    build_task = fields.Nested(TaskSchema, allow_none=True)


class TaskCreateSchema(RequestSchema):
    template_id = id_field(required=True)
    debug = fields.Boolean(load_default=False)
    dry_run = fields.Boolean(load_default=False)
    diff = fields.Boolean(load_default=False)
    playbook = OptionalString(validate=validate.Length(max=255))
    environment = JsonText("object", load_default=None, allow_none=True, validate=fits_text_column,
                           metadata={"description": "extra variables: a JSON object (or its text)"})
    limit = OptionalString(validate=fits_text_column)
    message = fields.String(load_default="", allow_none=True, validate=fits_text_column)
    arguments = JsonText("array", load_default=None, allow_none=True, validate=fits_text_column,
                         metadata={"description": "extra CLI arguments; only when the template allows it"})
    git_branch = OptionalString(validate=validate.Length(max=255))
    inventory_id = optional_id()
    build_task_id = optional_id()
    params = JsonText("object", load_default=None, allow_none=True, validate=fits_text_column)
    secret = JsonText("object", load_default=None, allow_none=True, load_only=True,
                      metadata={"description": "secret extra variables: kept encrypted until the run ends"})


class TaskStopSchema(RequestSchema):
    force = fields.Boolean(load_default=False)


class TaskListArgs(QueryArgs):
    before = id_field(load_default=None, metadata={"description": "only tasks with a smaller id (paging)"})


class TaskLastArgs(TaskListArgs):
    limit = fields.Integer(load_default=MAX_LAST, validate=validate.Range(min=1, max=MAX_LAST))


class TaskOutputSchema(ResponseSchema):
    """One output line, as the original (``task`` is always empty) plus its ``seq`` for paging."""

    task_id = fields.Integer()
    task = fields.Constant("")
    time = fields.DateTime()
    output = fields.String()
    seq = fields.Integer()


class HostFailureSchema(ResponseSchema):
    task = fields.String(metadata={"description": "the name of the task that failed"})
    message = fields.String(metadata={"description": "the tool's message (the first 2000 characters)"})


class TaskHostResultSchema(ResponseSchema):
    """What a run did on one host, as ansible's PLAY RECAP counts it."""

    host = fields.String()
    status = fields.String(metadata={"description": "unreachable, failed, changed, ok or skipped"})
    ok = fields.Integer()
    changed = fields.Integer()
    failed = fields.Integer()
    unreachable = fields.Integer()
    skipped = fields.Integer()
    rescued = fields.Integer()
    ignored = fields.Integer()
    failures = fields.List(fields.Nested(HostFailureSchema))


class TaskOutputArgs(QueryArgs):
    after = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_SEQ),
                           metadata={"description": "only lines with a larger seq (the last seq of the previous page)"})
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_OUTPUT_PAGE),
                           metadata={"description": f"lines per page (at most {MAX_OUTPUT_PAGE}); a full page "
                                                    "links to the next one. Without it, every line (streamed)"})


class TaskOutputSearchArgs(QueryArgs):
    q = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SEARCH_TEXT),
                      metadata={"description": f"the text to find (1-{MAX_SEARCH_TEXT} characters), in any case, "
                                               "ANSI escape codes ignored; % and _ are plain characters"})
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_SEQ),
                           metadata={"description": "only lines with a larger seq (the last seq of the previous page)"})
    limit = fields.Integer(load_default=SEARCH_PAGE, validate=validate.Range(min=1, max=MAX_SEARCH_PAGE),
                           metadata={"description": f"matching lines per page (default {SEARCH_PAGE}, at most "
                                                    f"{MAX_SEARCH_PAGE}); a full page links to the next one"})
