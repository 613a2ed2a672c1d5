"""The Blueprint every API module uses: flask-smorest's, answering bad input with 400 as we do."""

from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser


class RequestParser(FlaskParser):
    """webargs' parser; bad input is a 400 (flask-smorest's default is 422, which it documents)."""

    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = RequestParser()
