"""Placeholder: filled in by the integrations API work."""

from flask_smorest import Blueprint

blp = Blueprint("integrations", __name__, url_prefix="/api/integrations-placeholder")
