"""LIKE patterns that match a user's text literally, on every database we support."""

from __future__ import annotations

#: The escape character the patterns use: pass it as ``escape=`` to ``like``/``ilike``.
ESCAPE = "\\"


def literal(text: str) -> str:
    """``text`` inside a LIKE pattern, its wildcards (and the escape character) matched as themselves."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
