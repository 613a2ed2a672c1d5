"""The create and edit pages of a project resource, made once for every resource (as
api/resource_routes.py makes its REST routes): ``/project/{id}/<section>/new`` shows the resource's
form ``<name>_form.html`` empty and ``/project/{id}/<section>/{<name>_id}/edit`` filled with the row,
for members of the project (404 for others, and for a row of another project)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from semaphore.api import context
from semaphore.services.resources import ProjectResource
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page

#: What a form shows besides its row: (project id, the row or None) -> template values.
FormValues = Callable[[int, Any], dict[str, Any]]


def add_form_pages(section: str, name: str, service: ProjectResource[Any], form_values: FormValues) -> None:
    """Add the pages ``new_<name>_page`` and ``edit_<name>_page`` to the project's ``section`` (its
    navigation entry and path); the template gets the row (None on the create page) as ``<name>``."""

    def form(project_id: int, row_id: int | None) -> str:
        access = project_page_access(project_id)
        row = service.get(context.db(), project_id, row_id) if row_id is not None else None
        return render_project_page(f"{name}_form.html", access, section, **{name: row},
                                   **form_values(project_id, row))

    def new_page(project_id: int) -> str:
        return form(project_id, None)

    def edit_page(project_id: int, **ids: int) -> str:
        return form(project_id, ids[f"{name}_id"])

    pages = f"/project/<int:project_id>/{section}"
    blp.add_url_rule(f"{pages}/new", f"new_{name}_page", page_for_users(new_page), methods=["GET"])
    blp.add_url_rule(f"{pages}/<int:{name}_id>/edit", f"edit_{name}_page", page_for_users(edit_page),
                     methods=["GET"])
