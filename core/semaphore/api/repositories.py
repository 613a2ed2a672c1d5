"""Placeholder: filled in by the repositories API work."""

from flask_smorest import Blueprint

blp = Blueprint("repositories", __name__, url_prefix="/api/repositories-placeholder")
