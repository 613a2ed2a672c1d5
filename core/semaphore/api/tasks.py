"""Placeholder: filled in by the tasks API work."""

from flask_smorest import Blueprint

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks-placeholder")
