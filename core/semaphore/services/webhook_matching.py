"""Comparing a webhook request's value with a matcher's: ``equals``, ``unequals``, ``contains``.

Values are compared as text, as the original does: JSON numbers that are whole print without a
fraction (``3.0`` is ``"3"``), booleans as ``true``/``false``, ``null`` as ``null``, objects and
arrays as compact JSON. A value the request does not have (a missing header or JSON path,
malformed JSON) matches nothing, whatever the method: a matcher about a field the request lacks
says the request is not of the kind it expects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from semaphore.interfaces import MISSING

METHODS: dict[str, Callable[[str, str], bool]] = {
    "equals": lambda actual, expected: actual == expected,
    "unequals": lambda actual, expected: actual != expected,
    "not_equals": lambda actual, expected: actual != expected,  # an alias some tools write
    "contains": lambda actual, expected: expected in actual,
}


def comparable_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def value_matches(method: str, actual: Any, expected: str) -> bool:
    """Whether the request's ``actual`` value passes ``method`` against the matcher's ``expected``;
    an unknown method never passes."""
    compare = METHODS.get(method)
    if compare is None or actual is MISSING:
        return False
    return compare(comparable_text(actual), expected)
