"""Placeholder: filled in by the views API work."""

from flask_smorest import Blueprint

blp = Blueprint("views", __name__, url_prefix="/api/views-placeholder")
