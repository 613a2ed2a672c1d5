"""The login page at ``/``: the password form (local and LDAP alike), one button per OpenID
provider, and the TOTP step. The page's script signs in through /api/auth/*."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from werkzeug.wrappers import Response

from semaphore.state import app_state
from semaphore.version import __version__
from semaphore.web import blp
from semaphore.web.pages import signed_in_user


@blp.get("/")
def login_page() -> str | Response:
    if signed_in_user() is not None:
        return redirect(url_for("web.projects_page"))
    state = app_state()
    password_login = bool(state.registry.password_backends(state.config))
    return render_template("login.html", version=__version__, password_login=password_login, user=None)
