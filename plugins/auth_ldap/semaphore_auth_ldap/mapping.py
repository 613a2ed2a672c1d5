"""From a directory entry to a Semaphore user: ``ldap_mappings`` are claim expressions
(:mod:`semaphore.claim_expressions`) over the entry's attributes, plus ``dn``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from semaphore.plugin_api.claims import PLACEHOLDER, evaluate
from semaphore.plugin_api.errors import Forbidden


class Attributes(Mapping[str, Any]):
    """An entry's attributes, looked up case-insensitively as LDAP names are (``mail`` = ``Mail``)."""

    def __init__(self, dn: str, attributes: Mapping[str, Any]) -> None:
        self._values = {name.lower(): value for name, value in attributes.items()}
        self._values.setdefault("dn", dn)

    def __getitem__(self, name: str) -> Any:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class UserFields:
    username: str
    email: str
    name: str


def referenced_attributes(expressions: Iterable[str]) -> list[str]:
    """The attribute names the expressions read: asked for by name in the search, so that the
    entry's other attributes (``userPassword`` among them) are never fetched."""
    names: list[str] = []
    for expression in expressions:
        for alternative in (part.strip() for part in expression.split("|")):
            found = PLACEHOLDER.findall(alternative) if "{{" in alternative else [alternative]
            names += [name for name in found if name and name.lower() != "dn" and name not in names]
    return names


def user_fields(mappings: Any, attributes: Attributes) -> UserFields:
    """The user fields the mappings give for this entry; Forbidden (with the mapping's name) when
    the login or the e-mail comes out empty: that is the directory's or the config's fault, not a
    wrong password."""
    username = _required(mappings.uid, "uid", attributes).lower()
    email = _required(mappings.mail, "mail", attributes)
    name = evaluate(mappings.cn, attributes) or username
    return UserFields(username=username, email=email, name=name)


def _required(expression: str, key: str, attributes: Attributes) -> str:
    value = evaluate(expression, attributes)
    if not value:
        raise Forbidden(f"the directory entry {attributes['dn']} has no value for ldap_mappings.{key} "
                        f"({expression!r}); an administrator must fix the entry or the mapping",
                        code="LDAP_MAPPING")
    return value
