"""Git repositories of a project: where playbooks and scripts come from."""

from __future__ import annotations

import builtins
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey, Inventory, Repository, Schedule, Template
from semaphore.errors import ValidationError
from semaphore.git_url_password import with_stored_password
from semaphore.services.access import ProjectAccess
from semaphore.services.key_refs import require_key
from semaphore.services.local_repositories import check_write_allowed, local_path
from semaphore.services.resources import ProjectResource, RefSpec

if TYPE_CHECKING:
    from semaphore.state import AppState

URL_SCHEMES = ("file", "git", "ssh", "http", "https")
# git's scp-like syntax: user@host:path (no slash before the colon, or git reads it as a local path)
SCP_LIKE = re.compile(r"[A-Za-z0-9._~+-]+@(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[^\s].*")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# git check-ref-format: no spaces, control characters, ~^:?*[\, "..", "@{" or "//"
BAD_BRANCH = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def is_local(git_url: str) -> bool:
    """A local path is used in place (never cloned) and needs no branch."""
    return git_url.startswith("/")


def check_git_url(git_url: str) -> None:
    """Accept the URL forms git understands that we can serve; refuse the rest (``ext::`` and other
    transports that run commands, bare host names, option-like strings)."""
    if CONTROL_CHARS.search(git_url):
        raise ValidationError("must not contain control characters", field="git_url")
    if is_local(git_url):
        return
    if "://" not in git_url:
        if SCP_LIKE.fullmatch(git_url):
            return
        raise ValidationError("must be an absolute local path, a file://, git://, ssh://, http(s):// URL "
                              "or user@host:path", field="git_url")
    try:
        parts = urlsplit(git_url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ValidationError(f"is not a valid URL ({exc})", field="git_url") from exc
    if parts.scheme.lower() not in URL_SCHEMES:
        raise ValidationError(f"scheme must be one of {', '.join(URL_SCHEMES)}", field="git_url")
    if " " in git_url:
        raise ValidationError("must not contain spaces (encode them as %20)", field="git_url")
    if parts.scheme.lower() == "file":
        if not parts.path.startswith("/"):
            raise ValidationError("a file:// URL needs an absolute path (file:///path)", field="git_url")
    elif not parts.hostname:
        raise ValidationError("URL has no host", field="git_url")


def check_branch(branch: str) -> None:
    if (BAD_BRANCH.search(branch) or branch.startswith(("-", "/", ".")) or branch.endswith(("/", ".", ".lock"))
            or branch == "@"):
        raise ValidationError("is not a valid git branch name", field="git_branch")


class Repositories(ProjectResource[Repository]):
    model = Repository
    object_type = "repository"
    label = "Repository"
    sort_columns = {"name": "name", "git_url": "git_url", "ssh_key": "ssh_key_id"}
    refs = (
        RefSpec("templates", Template.repository_id, Template.name),
        RefSpec("inventories", Inventory.repository_id, Inventory.name),
        RefSpec("schedules", Schedule.repository_id, Schedule.name),
    )

    def list(self, db: DbSession, project_id: int, sort: str | None = None,
             order: str = "asc") -> builtins.list[Repository]:
        if sort != "ssh_key":
            return super().list(db, project_id, sort, order)
        # By the key's name, as the original sorts: ids mean nothing to a reader.
        key_name = AccessKey.name.desc() if order == "desc" else AccessKey.name
        query = (self.query(project_id).join(AccessKey, AccessKey.id == Repository.ssh_key_id)
                 .order_by(key_name, Repository.id))
        return builtins.list(db.scalars(query))

    def validate(self, db: DbSession, state: AppState, project_id: int,
                 data: dict[str, Any], existing: Repository | None) -> None:
        git_url = with_stored_password(data["git_url"].strip(), existing.git_url if existing else None)
        data["git_url"] = git_url
        check_git_url(git_url)
        branch = (data.get("git_branch") or "").strip()
        data["git_branch"] = branch
        if branch:
            check_branch(branch)
        elif not is_local(git_url):
            raise ValidationError("required unless the repository is a local path", field="git_branch")
        require_key(db, data["ssh_key_id"], project_id, "ssh_key_id")

    def apply(self, db: DbSession, state: AppState, row: Repository,
              data: dict[str, Any], access: ProjectAccess) -> None:
        git_url, by_admin = data["git_url"], access.user.admin
        if git_url != row.git_url:
            check_write_allowed(git_url, by_admin, state.config)
            row.admin_approved_url = None
        if by_admin and local_path(git_url) is not None:
            row.admin_approved_url = git_url
        row.name = data["name"]
        row.git_url = data["git_url"]
        row.git_branch = data["git_branch"]
        row.ssh_key_id = data["ssh_key_id"]


REPOSITORIES = Repositories()
