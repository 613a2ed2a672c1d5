"""Placeholder: filled in by the environments API work."""

from flask_smorest import Blueprint

blp = Blueprint("environments", __name__, url_prefix="/api/environments-placeholder")
