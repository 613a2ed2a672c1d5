"""Vault passwords of a template, handed to ansible as ``--vault-id``: login_password keys (type
``password``) or vault password client scripts of the repository (type ``script``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey, Template, TemplateVault
from semaphore.errors import ValidationError


def check_vaults(db: DbSession, project_id: int, vaults: list[dict[str, Any]], template_id: int | None) -> None:
    """Every vault names a login_password key of the project, names are unique ("default" when
    empty), and an ``id`` names a vault the template already has (a new template has none: ids are
    ignored)."""
    own_ids = set(db.scalars(select(TemplateVault.id).where(TemplateVault.template_id == template_id))) \
        if template_id is not None else set()
    seen_ids: set[int] = set()
    seen_names: set[str] = set()
    for index, vault in enumerate(vaults):
        field = f"vaults.{index}"
        if template_id is None:
            vault["id"] = None  # a new template copied from another: its vaults are new ones
        if vault["id"] is not None:
            if vault["id"] not in own_ids or vault["id"] in seen_ids:
                raise ValidationError(f"not a vault of this template (id {vault['id']})", field=f"{field}.id")
            seen_ids.add(vault["id"])
        if vault["type"] == "script":
            _check_script(vault, field)
        else:
            _check_key(db, project_id, vault, field)
        name = vault["name"] or "default"
        if name in seen_names:
            raise ValidationError(f"two vaults are named {name!r}", field=f"{field}.name")
        seen_names.add(name)


def _check_key(db: DbSession, project_id: int, vault: dict[str, Any], field: str) -> None:
    if vault["vault_key_id"] is None:
        raise ValidationError("required for a password vault", field=f"{field}.vault_key_id")
    key = db.get(AccessKey, vault["vault_key_id"])
    if key is None or key.project_id != project_id or key.environment_id is not None:
        raise ValidationError(f"no such key in this project (id {vault['vault_key_id']})",
                              field=f"{field}.vault_key_id")
    if key.type != "login_password":
        raise ValidationError("a vault password must be a login_password key", field=f"{field}.vault_key_id")
    if vault["script"]:
        raise ValidationError("only script vaults have a script", field=f"{field}.script")


def _check_script(vault: dict[str, Any], field: str) -> None:
    from semaphore.script_executor import script_path_problem

    problem = script_path_problem(vault["script"], "vault password script")
    if problem:
        raise ValidationError(problem, field=f"{field}.script")
    if vault["vault_key_id"] is not None:
        raise ValidationError("a script vault takes no key", field=f"{field}.vault_key_id")


def replace_vaults(db: DbSession, template: Template, vaults: list[dict[str, Any]]) -> None:
    """Make ``vaults`` the template's set. A row sent back unchanged (same id, key and name) is
    kept; changed and new ones are inserted after the others are deleted, so no two rows ever
    collide on (template, key, name) midway."""
    current = {v.id: v for v in db.scalars(select(TemplateVault).where(TemplateVault.template_id == template.id))}

    def unchanged(vault: dict[str, Any]) -> bool:
        row = current.get(vault["id"])
        return row is not None and (row.vault_key_id, row.name, row.type, row.script) == (
            vault["vault_key_id"], vault["name"], vault["type"], vault["script"])

    kept = {vault["id"] for vault in vaults if unchanged(vault)}
    for vault_id, row in current.items():
        if vault_id not in kept:
            db.delete(row)
    db.flush()
    for vault in vaults:
        if vault["id"] not in kept:
            db.add(TemplateVault(project_id=template.project_id, template_id=template.id,
                                 vault_key_id=vault["vault_key_id"], name=vault["name"], type=vault["type"],
                                 script=vault["script"]))


def vaults_by_template(db: DbSession, template_ids: Iterable[int]) -> dict[int, list[TemplateVault]]:
    found: dict[int, list[TemplateVault]] = {}
    query = select(TemplateVault).where(TemplateVault.template_id.in_(list(template_ids))).order_by(TemplateVault.id)
    for vault in db.scalars(query):
        found.setdefault(vault.template_id, []).append(vault)
    return found
