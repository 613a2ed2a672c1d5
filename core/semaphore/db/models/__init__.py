"""Every table of the schema; import from here."""

from semaphore.db.models.base import Base
from semaphore.db.models.cluster import AlertOutbox, ClusterMessage, Node
from semaphore.db.models.integrations import (
    Integration,
    IntegrationAlias,
    IntegrationExtractValue,
    IntegrationMatcher,
)
from semaphore.db.models.projects import Project, ProjectUser
from semaphore.db.models.resources import AccessKey, Environment, Inventory, Repository, View
from semaphore.db.models.schedules import Schedule, ScheduleFire
from semaphore.db.models.system import Event, Option, Runner, RunnerRegistration
from semaphore.db.models.tasks import Task, TaskHostResult, TaskOutput
from semaphore.db.models.templates import Template, TemplateRunnerTag, TemplateVault
from semaphore.db.models.users import APIToken, LoginFailure, Session, User, UserTotp

__all__ = [
    "APIToken", "AccessKey", "AlertOutbox", "Base", "ClusterMessage", "Environment", "Event", "Integration",
    "IntegrationAlias",
    "IntegrationExtractValue", "IntegrationMatcher", "Inventory", "LoginFailure", "Node", "Option", "Project",
    "ProjectUser", "Repository", "Runner", "RunnerRegistration", "Schedule", "ScheduleFire", "Session", "Task",
    "TaskHostResult", "TaskOutput", "Template", "TemplateRunnerTag", "TemplateVault", "User", "UserTotp", "View",
]
