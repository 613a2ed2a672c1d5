"""Repositories (/api/project/{id}/repositories)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from semaphore.git_url_password import masked
from semaphore.schemas.base import RequestSchema, ResponseSchema, fits_text_column, id_field, name_field, read_only_id


class MaskedGitUrl(fields.String):
    """A password in the URL is answered as *** (sent back unchanged, it keeps the stored one)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return masked(value) if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class RepositorySchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    project_id = fields.Integer()
    git_url = MaskedGitUrl(metadata={"description": "a password written into the URL is shown as ***"})
    git_branch = fields.String()
    ssh_key_id = fields.Integer()


class RepositoryWriteSchema(RequestSchema):
    id = read_only_id()
    project_id = read_only_id()
    name = name_field()
    git_url = fields.String(required=True, validate=[validate.Length(min=1), fits_text_column], metadata={
        "description": "absolute local path, file://, git://, ssh://, http(s):// URL, or user@host:path"})
    git_branch = fields.String(load_default="", allow_none=True, validate=validate.Length(max=255),
                               metadata={"description": "required unless git_url is a local path"})
    ssh_key_id = id_field(required=True, metadata={"description": "a key of this project (may be a 'none' key)"})
