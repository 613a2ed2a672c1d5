"""The demo project (``POST /api/projects {"demo": true}``): the packaged demo repository
(semaphore/demo) with a localhost inventory and a template for each of its playbooks and scripts,
so a new user can run something at once, without network or credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey, Environment, Repository
from semaphore.demo import repository_path
from semaphore.schemas.templates import TemplateWriteSchema
from semaphore.services import activity
from semaphore.services.access import ProjectAccess
from semaphore.services.inventories import INVENTORIES
from semaphore.services.repositories import REPOSITORIES
from semaphore.services.templates import TEMPLATES

if TYPE_CHECKING:
    from semaphore.state import AppState

# The playbooks run on the server itself, with the Python that runs ansible-playbook.
LOCALHOST = "[local]\nlocalhost ansible_connection=local ansible_python_interpreter=\"{{ ansible_playbook_python }}\"\n"
TEMPLATES_MADE: tuple[dict[str, Any], ...] = (
    {"name": "Ping localhost", "app": "ansible", "playbook": "ping.yml",
     "description": "Checks that Ansible reaches the server itself"},
    {"name": "Build", "app": "ansible", "playbook": "build.yml", "type": "build", "start_version": "1.0.0",
     "description": "A build: each run gets the next version"},
    {"name": "Deploy", "app": "ansible", "playbook": "deploy.yml", "type": "deploy", "autorun": True,
     "description": "Deploys the version of the build it follows; runs after each successful build"},
    {"name": "Hello from Bash", "app": "bash", "playbook": "hello.sh", "description": "A Bash script"},
    {"name": "Hello from Python", "app": "python", "playbook": "hello.py", "description": "A Python script"},
)


def add_demo(db: DbSession, state: AppState, access: ProjectAccess, none_key: AccessKey, empty: Environment) -> None:
    """Fill the new project of ``access`` with the demo; ``none_key`` and ``empty`` are its defaults."""
    project_id = access.project.id
    # Written here rather than through the API's checks: the server's own packaged directory is the
    # one local repository every project creator may have.
    repository = Repository(name="Demo", project_id=project_id, git_url=str(repository_path()), git_branch="",
                            ssh_key_id=none_key.id)
    db.add(repository)
    db.flush()
    REPOSITORIES.record(db, access, repository, activity.CREATED)
    inventory = INVENTORIES.create(db, state, access, {"name": "Localhost", "type": "static", "inventory": LOCALHOST,
                                                "ssh_key_id": none_key.id})
    made: dict[str, int] = {}
    for fields in TEMPLATES_MADE:
        body: dict[str, Any] = {**fields, "repository_id": repository.id, "environment_id": empty.id}
        if fields["app"] == "ansible":
            body["inventory_id"] = inventory.id
        if fields.get("type") == "deploy":
            body["build_template_id"] = made["Build"]
        made[fields["name"]] = TEMPLATES.create(db, state, access, TemplateWriteSchema().load(body)).id
