"""Server-wide endpoints: health, server info and installed plugins."""

from __future__ import annotations

from flask import Response

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import public
from semaphore.schemas.system import InfoSchema, PluginSchema
from semaphore.state import app_state
from semaphore.version import __version__

blp = Blueprint("system", __name__, url_prefix="/api", description="Health, server information and plugins")


@blp.route("/ping", methods=["GET", "HEAD"])
@blp.doc(security=[], responses={"200": {"description": "`pong`",
                                         "content": {"text/plain": {"schema": {"type": "string"}}}}})
@public
def ping() -> Response:
    """Health check for load balancers; no authentication."""
    return Response("pong", mimetype="text/plain")


@blp.route("/info")
@blp.response(200, InfoSchema)
def info():  # type: ignore[no-untyped-def]
    context.user()
    state = app_state()
    ansible = state.registry.executors.get("ansible")
    return {"version": __version__, "ansible": ansible.version() if ansible else "",
            "web_host": state.config.web_host, "use_remote_runner": state.config.use_remote_runner}


@blp.route("/plugins")
@blp.response(200, PluginSchema(many=True))
def plugins():  # type: ignore[no-untyped-def]
    """Plugins: built-ins and entry points, with what loaded, failed or was disabled."""
    context.user()
    return [info.to_json() for info in app_state().plugins.info()]
