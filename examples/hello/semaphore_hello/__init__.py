"""An example plugin: one route, one command and a listener for task status changes.

Read it with docs/writing-plugins.md, which walks through it step by step.
"""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import Blueprint, Flask, current_app

from semaphore import hookimpl

log = logging.getLogger(__name__)

blueprint = Blueprint("hello", __name__, url_prefix="/plugins/hello")


@blueprint.get("/")
def greet() -> dict[str, Any]:
    """Greets the logged-in user with the last task change in a project they may see (a member,
    or an admin); 401 for anonymous requests."""
    # Imported here, not at the top: importing the plugin stays cheap.
    from semaphore.plugin_api.web import can_see_project, logged_in_user, request_db

    me = logged_in_user()
    changes = current_app.extensions.get("hello", {})  # project id -> its last change, newest last
    visible = [change for project_id, change in changes.items() if can_see_project(request_db(), me, project_id)]
    return {"message": f"Hello, {me.name}!", "username": me.username,
            "last_task_change": visible[-1] if visible else None}


@hookimpl
def register_blueprints(app: Flask) -> None:
    app.register_blueprint(blueprint)


@click.command("hello")
@click.option("--name", default="world", show_default=True, help="Who to greet.")
def hello_command(name: str) -> None:
    """Print a greeting."""
    click.echo(f"Hello, {name}!")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(hello_command)


@hookimpl
def task_status_changed(app: Flask, task: Any, new_status: str) -> None:
    # An implementation takes only the arguments it needs: ``old_status`` is left out here.
    changes = app.extensions.setdefault("hello", {})
    changes.pop(task.project_id, None)  # re-inserted last: the dict stays ordered oldest to newest
    changes[task.project_id] = {"task_id": task.id, "status": new_status}
    log.info("task %s is now %s", task.id, new_status)
