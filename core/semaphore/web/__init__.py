"""The server-rendered web pages. Views read through the same services as the REST API and hold no
business logic; every write a page makes goes through the API with fetch() from its own origin."""

from __future__ import annotations

from flask import Blueprint

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

# The modules below attach their routes and hooks to ``blp``.
from semaphore.web import headers, login, pages, projects  # noqa: E402,F401
