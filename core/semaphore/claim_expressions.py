"""Claim expressions: how a login method turns a directory entry or an ID token into a user field.

An expression is a list of alternatives separated by ``|``, tried left to right; the first one that
gives a non-empty value wins:

* ``email`` -- the claim (or attribute) of that name; ``address.email`` reaches into an object;
* ``{{ .username }}@example.com`` -- a template: every ``{{ .claim }}`` is replaced by the claim's
  value, and the alternative fails when one of them is missing or empty;
* an empty alternative (``email |`` or just ``|``) -- a random value of 16 characters [a-z0-9].
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"{{\s*\.([A-Za-z0-9_.:-]+)\s*}}")
RANDOM_ALPHABET = string.ascii_lowercase + string.digits
RANDOM_LENGTH = 16


def evaluate(expression: str, claims: Mapping[str, Any]) -> str | None:
    """The expression's value for ``claims``; None when no alternative gives one."""
    for alternative in (part.strip() for part in expression.split("|")):
        value = _alternative(alternative, claims)
        if value:
            return value
    return None


def _alternative(alternative: str, claims: Mapping[str, Any]) -> str | None:
    if not alternative:
        return random_value()
    if "{{" not in alternative:
        return claim(claims, alternative)
    missing = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal missing
        value = claim(claims, match.group(1))
        missing = missing or value is None
        return value or ""

    rendered = PLACEHOLDER.sub(substitute, alternative)
    return None if missing or "{{" in rendered else rendered.strip() or None


def claim(claims: Mapping[str, Any], name: str) -> str | None:
    """A claim's value as text (first item of a list), None when it is absent or empty."""
    value: Any = claims.get(name)
    if value is None and "." in name:
        value = claims
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if value is None or isinstance(value, (Mapping, bool)):
        return None
    text = str(value).strip()
    return text or None


def random_value() -> str:
    return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(RANDOM_LENGTH))
