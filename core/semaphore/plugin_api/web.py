"""For a plugin's routes (``register_blueprints``): what the core's own routes use to know who is
calling, reach the database, start a login session and answer errors.

A route's database session is committed when the response is a success and rolled back otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from semaphore.api.authn import log_in, secure_cookies
from semaphore.api.context import db as request_db
from semaphore.api.context import user as logged_in_user
from semaphore.api.errors import error_response
from semaphore.api.guards import public
from semaphore.services.access import can_see_project
from semaphore.state import app_state

if TYPE_CHECKING:
    from semaphore.config import Config

__all__ = [
    "can_see_project", "error_response", "log_in", "logged_in_user", "public", "request_db", "secure_cookies",
    "server_config",
]


def server_config(app: Flask | None = None) -> Config:
    """The server's configuration: of ``app``, or of the application serving this request."""
    return app_state(app).config
