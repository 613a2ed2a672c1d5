"""A project's resources: the key store, inventories, variable groups and repositories. Each has a
list page (read-only for guests), a create page and an edit page whose forms write through the
resource's REST API; secrets are never rendered, their inputs start empty."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from semaphore.api import context
from semaphore.db.models import AccessKey, Repository
from semaphore.git_url_password import masked
from semaphore.inventory_formats import INVENTORY_TYPES
from semaphore.services.environments import ENVIRONMENTS
from semaphore.services.inventories import INVENTORIES
from semaphore.services.keys import KEYS
from semaphore.services.repositories import REPOSITORIES
from semaphore.services.resources import ProjectResource
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, page_number, project_page_access, render_project_page
from semaphore.web.resource_forms import add_form_pages

PAGE_SIZE = 50

KEY_TYPES = (("none", "None (no credentials)"), ("ssh", "SSH key"), ("login_password", "Login and password"))
INVENTORY_TYPE_TITLES = {"static": "Static (INI)", "static-yaml": "Static (YAML)", "file": "File in a repository",
                         "terraform-workspace": "Terraform workspace", "tofu-workspace": "OpenTofu workspace"}


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and the neighbouring page numbers (None at either end)."""

    rows: list[Any]
    number: int
    previous: int | None
    next: int | None


def list_page(service: ProjectResource[Any], project_id: int) -> Page:
    """The ``?page=`` of a resource list, by name: one query, one row more than shown to tell
    whether a next page exists."""
    number = page_number()
    model: Any = service.model
    query = (service.query(project_id).order_by(model.name, model.id)
             .limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE))
    rows = list(context.db().scalars(query))
    return Page(rows[:PAGE_SIZE], number, number - 1 or None, number + 1 if len(rows) > PAGE_SIZE else None)


def names_of(model: Any, ids: Iterable[int | None]) -> dict[int, str]:
    """id -> name for the given rows of ``model``, in one query."""
    wanted = {object_id for object_id in ids if object_id is not None}
    if not wanted:
        return {}
    return dict(context.db().execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


def json_count(text: str | None) -> int:
    """How many variables a stored JSON object holds (0 for none or for text that is not an object)."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return 0
    return len(value) if isinstance(value, dict) else 0


def key_options(project_id: int, types: Sequence[str] | None = None) -> list[tuple[int, str]]:
    return [(key.id, key.name) for key in KEYS.list(context.db(), project_id, "name")
            if types is None or key.type in types]


def inventory_type_options() -> list[tuple[str, str]]:
    """Every inventory type with the apps that take it, from the executors the plugins registered."""
    executors = app_state().registry.executors.values()
    options = []
    for inventory_type in INVENTORY_TYPES:
        apps = [executor.title or executor.app_id for executor in executors
                if inventory_type in executor.inventory_types]
        title = INVENTORY_TYPE_TITLES.get(inventory_type, inventory_type)
        options.append((inventory_type, f"{title} — {', '.join(apps)}" if apps else title))
    return options


# -- the key store -------------------------------------------------------------------------------

@blp.get("/project/<int:project_id>/keys")
@page_for_users
def keys_page(project_id: int) -> str:
    access = project_page_access(project_id)
    return render_project_page("keys.html", access, "keys", page=list_page(KEYS, project_id),
                               type_titles=dict(KEY_TYPES))


add_form_pages("keys", "key", KEYS, lambda project_id, key: {"key_types": KEY_TYPES})


# -- inventories -----------------------------------------------------------------------------------

@blp.get("/project/<int:project_id>/inventory")
@page_for_users
def inventories_page(project_id: int) -> str:
    access = project_page_access(project_id)
    page = list_page(INVENTORIES, project_id)
    keys = names_of(AccessKey, [key_id for row in page.rows for key_id in (row.ssh_key_id, row.become_key_id)])
    repositories = names_of(Repository, [row.repository_id for row in page.rows])
    return render_project_page("inventories.html", access, "inventory", page=page, keys=keys,
                               repositories=repositories, type_titles=INVENTORY_TYPE_TITLES)


def inventory_form(project_id: int, inventory: Any) -> dict[str, Any]:
    repositories = [(row.id, row.name) for row in REPOSITORIES.list(context.db(), project_id, "name")]
    return {"inventory_types": inventory_type_options(), "keys": key_options(project_id),
            "become_keys": key_options(project_id, ("login_password",)), "repositories": repositories}


add_form_pages("inventory", "inventory", INVENTORIES, inventory_form)


# -- variable groups -------------------------------------------------------------------------------

@blp.get("/project/<int:project_id>/environment")
@page_for_users
def environments_page(project_id: int) -> str:
    access = project_page_access(project_id)
    page = list_page(ENVIRONMENTS, project_id)
    ids = [row.id for row in page.rows]
    secrets: dict[int | None, int] = {}
    if ids:
        secrets = {environment_id: count for environment_id, count in context.db().execute(
            select(AccessKey.environment_id, func.count(AccessKey.id))
            .where(AccessKey.environment_id.in_(ids)).group_by(AccessKey.environment_id))}
    counts = {row.id: (json_count(row.json), json_count(row.env), secrets.get(row.id, 0)) for row in page.rows}
    return render_project_page("environments.html", access, "environment", page=page, counts=counts)


def environment_form(project_id: int, environment: Any) -> dict[str, Any]:
    env_vars: list[tuple[str, str]] = []
    if environment is not None:
        try:
            stored = json.loads(environment.env or "{}")
        except ValueError:
            stored = {}
        env_vars = [(name, str(value)) for name, value in stored.items()] if isinstance(stored, dict) else []
    return {"env_vars": env_vars, "secrets": getattr(environment, "secrets", [])}


add_form_pages("environment", "environment", ENVIRONMENTS, environment_form)


# -- repositories ----------------------------------------------------------------------------------

@blp.get("/project/<int:project_id>/repositories")
@page_for_users
def repositories_page(project_id: int) -> str:
    access = project_page_access(project_id)
    page = list_page(REPOSITORIES, project_id)
    keys = names_of(AccessKey, [row.ssh_key_id for row in page.rows])
    return render_project_page("repositories.html", access, "repositories", page=page, keys=keys,
                               shown_git_url=masked)


def repository_form(project_id: int, repository: Any) -> dict[str, Any]:
    return {"shown_git_url": masked(repository.git_url) if repository else "", "keys": key_options(project_id)}


add_form_pages("repositories", "repository", REPOSITORIES, repository_form)
