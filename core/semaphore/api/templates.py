"""Placeholder: filled in by the templates API work."""

from flask_smorest import Blueprint

blp = Blueprint("templates", __name__, url_prefix="/api/templates-placeholder")
