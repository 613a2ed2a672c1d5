"""The server-rendered web pages. For now: the start page, where a user logs in and finds the
API; every action goes through the same REST API that scripts use."""

from __future__ import annotations

from flask import Blueprint, render_template

from semaphore.state import app_state
from semaphore.version import __version__

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@blp.get("/")
def start_page() -> str:
    state = app_state()
    # The form serves every password method: the local password and LDAP alike.
    password_login = bool(state.registry.password_backends(state.config))
    return render_template("start.html", version=__version__, password_login=password_login)
