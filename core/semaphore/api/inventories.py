"""Placeholder: filled in by the inventories API work."""

from flask_smorest import Blueprint

blp = Blueprint("inventories", __name__, url_prefix="/api/inventories-placeholder")
