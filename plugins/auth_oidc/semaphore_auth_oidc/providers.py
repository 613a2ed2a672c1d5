"""The ``oidc_providers`` setting: one :class:`Provider` per entry, checked key by key.

Every error names the offending key as ``oidc_providers.<id>.<key>``, so a typo in config.json is
found at server start, not at the first login.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semaphore.plugin_api.errors import ConfigError, NotFound
from semaphore.plugin_api.identity import RoleMapping, parse_role_mappings
from semaphore_auth_oidc.settings import OidcSettings

PROVIDER_ID = re.compile(r"^[A-Za-z0-9_-]+$")  # it is a path segment of /api/auth/oidc/<id>/...
STRING_KEYS = {"display_name", "color", "icon", "provider_url", "client_id", "client_id_file",
               "client_secret", "client_secret_file", "redirect_url", "username_claim", "name_claim",
               "email_claim", "groups_claim"}
KNOWN_KEYS = STRING_KEYS | {"scopes", "order", "endpoint", "role_mappings"}
ENDPOINT_URL_KEYS = ("issuer", "auth", "token", "userinfo", "jwks")
ENDPOINT_KEYS = {*ENDPOINT_URL_KEYS, "algorithms"}
DEFAULT_SCOPES = ("openid", "profile", "email")


@dataclass(frozen=True)
class Endpoints:
    """Where the provider's pages and APIs are; empty strings are unknown (discovery fills them)."""

    issuer: str = ""
    auth: str = ""
    token: str = ""
    userinfo: str = ""
    jwks: str = ""
    algorithms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    id: str
    client_id: str
    client_secret: str
    provider_url: str = ""
    endpoint: Endpoints = Endpoints()
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    redirect_url: str = ""  # empty: <web_host>/api/auth/oidc/<id>/redirect, else this server's own URL
    display_name: str = ""
    color: str = ""
    icon: str = ""
    order: int = 0
    username_claim: str = "preferred_username"
    name_claim: str = "preferred_username"
    email_claim: str = "email"
    groups_claim: str = "groups"
    role_mappings: tuple[RoleMapping, ...] = ()


def load_providers(config: Any) -> dict[str, Provider]:
    """Every configured provider by id; ConfigError for the first bad key."""
    raw = config.plugin_settings(OidcSettings).oidc_providers or {}
    if not isinstance(raw, dict):
        raise ConfigError("oidc_providers: must be an object mapping provider ids to provider settings")
    return {provider_id: parse_provider(provider_id, options, config.web_host)
            for provider_id, options in raw.items()}


def provider_by_id(config: Any, provider_id: str) -> Provider:
    raw = config.plugin_settings(OidcSettings).oidc_providers or {}
    if provider_id not in raw:
        raise NotFound(f"no OpenID Connect provider {provider_id!r} is configured")
    return parse_provider(provider_id, raw[provider_id], config.web_host)


def parse_provider(provider_id: str, options: Any, web_host: str) -> Provider:
    where = f"oidc_providers.{provider_id}"
    if not PROVIDER_ID.match(provider_id):
        raise ConfigError(f"{where}: a provider id may hold only letters, digits, '-' and '_'")
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(options) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")
    for key in STRING_KEYS & set(options):
        if not isinstance(options[key], str):
            raise ConfigError(f"{where}.{key}: must be a string")
    text = {key: options.get(key, "").strip() for key in STRING_KEYS}
    endpoint = _endpoints(options.get("endpoint"), f"{where}.endpoint")
    if not text["provider_url"] and not (endpoint.auth and endpoint.token):
        raise ConfigError(f"{where}.provider_url: required, unless endpoint.auth and endpoint.token are given")
    client_id = text["client_id"] or _read_file(text["client_id_file"], f"{where}.client_id_file")
    if not client_id:
        raise ConfigError(f"{where}.client_id: required (or client_id_file)")
    redirect_url = text["redirect_url"] or (
        f"{web_host.rstrip('/')}/api/auth/oidc/{provider_id}/redirect" if web_host else "")
    defaults = Provider(id=provider_id, client_id="", client_secret="")
    return Provider(
        id=provider_id,
        client_id=client_id,
        client_secret=text["client_secret"] or _read_file(text["client_secret_file"], f"{where}.client_secret_file"),
        provider_url=text["provider_url"],
        endpoint=endpoint,
        scopes=_strings(options.get("scopes"), f"{where}.scopes") or DEFAULT_SCOPES,
        redirect_url=redirect_url,
        display_name=text["display_name"],
        color=text["color"],
        icon=text["icon"],
        order=_order(options.get("order", 0), f"{where}.order"),
        username_claim=text["username_claim"] or defaults.username_claim,
        name_claim=text["name_claim"] or defaults.name_claim,
        email_claim=text["email_claim"] or defaults.email_claim,
        groups_claim=text["groups_claim"] or defaults.groups_claim,
        role_mappings=_role_mappings(options.get("role_mappings"), f"{where}.role_mappings"),
    )


def _endpoints(value: Any, where: str) -> Endpoints:
    if value is None:
        return Endpoints()
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be an object with {', '.join(sorted(ENDPOINT_KEYS))}")
    unknown = sorted(set(value) - ENDPOINT_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(sorted(ENDPOINT_KEYS))})")
    urls = {}
    for key in ENDPOINT_URL_KEYS:
        url = value.get(key, "")
        if not isinstance(url, str):
            raise ConfigError(f"{where}.{key}: must be a URL string")
        urls[key] = url.strip()
    return Endpoints(**urls, algorithms=_strings(value.get("algorithms"), f"{where}.algorithms"))


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{where}: must be a list of non-empty strings")
    return tuple(item.strip() for item in value)


def _order(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: must be a whole number")
    return value


def _read_file(path: str, where: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {path!r}: {exc.strerror or exc}") from None


def _role_mappings(value: Any, where: str) -> tuple[RoleMapping, ...]:
    if isinstance(value, str) and value.strip():
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not valid JSON: {exc.msg}") from None
    return parse_role_mappings(value, where)
