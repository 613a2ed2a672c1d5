"""Placeholder: filled in by the events API work."""

from flask_smorest import Blueprint

blp = Blueprint("events", __name__, url_prefix="/api/events-placeholder")
