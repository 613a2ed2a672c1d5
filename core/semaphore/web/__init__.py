"""The server-rendered web pages. Views read through the same services as the REST API and hold no
business logic; every write a page makes goes through the API with fetch() from its own origin."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

# Every module of this package attaches its routes and hooks to ``blp``: importing them all means a
# new screen is one new module, with no list to keep in step.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
