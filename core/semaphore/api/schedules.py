"""Placeholder: filled in by the schedules API work."""

from flask_smorest import Blueprint

blp = Blueprint("schedules", __name__, url_prefix="/api/schedules-placeholder")
