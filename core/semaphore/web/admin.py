"""The administration pages under /admin (403 for anyone but an admin): users, the tasks queued or
running in every project, the activity log, the installed plugins, what runs the tasks (this server's
engine and the remote runners) and the server processes on the database (nodes). Their scripts write
through /api/users, /api/users/<id>/2fas/totp, /api/project/<id>/tasks/<id>/stop, /api/runners and
/api/nodes."""

from __future__ import annotations

from flask import request

from semaphore.api import context
from semaphore.cluster.nodes import HEARTBEAT_SECONDS, NODE_TIMEOUT_SECONDS
from semaphore.schemas.tasks import MAX_SEQ
from semaphore.services import admin_overview, events, nodes, runners, totp, users
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import admin_page_user, page_for_users, page_number, render_page

USERS_PER_PAGE = 50
TASKS_PER_PAGE = 50
EVENTS_PER_PAGE = 50

#: The admin pages' tabs: (section, title, path).
ADMIN_SECTIONS = (
    ("users", "Users", "/admin/users"),
    ("tasks", "Running tasks", "/admin/tasks"),
    ("activity", "Activity", "/admin/activity"),
    ("plugins", "Plugins", "/admin/plugins"),
    ("runners", "Runners", "/admin/runners"),
    ("nodes", "Servers", "/admin/nodes"),
)


def render_admin_page(template: str, section: str, **values: object) -> str:
    return render_page(template, admin_sections=ADMIN_SECTIONS, admin_section=section, **values)


@blp.get("/admin/users")
@page_for_users
def admin_users_page() -> str:
    me = admin_page_user()
    page = page_number()
    db = context.db()
    listed, has_more = admin_overview.users_page(db, (page - 1) * USERS_PER_PAGE, USERS_PER_PAGE)
    return render_admin_page("admin_users.html", "users", me=me, users=listed, page=page, has_more=has_more,
                             two_factor=admin_overview.confirmed_totps(db, [user.id for user in listed]))


@blp.get("/admin/users/new")
@page_for_users
def admin_new_user_page() -> str:
    me = admin_page_user()
    return render_admin_page("admin_user_form.html", "users", me=me, edited=None, enrolment=None,
                             password_min_length=app_state().config.password_min_length)


@blp.get("/admin/users/<int:user_id>")
@page_for_users
def admin_user_page(user_id: int) -> str:
    me = admin_page_user()
    db = context.db()
    edited = users.get_user(db, user_id)
    return render_admin_page("admin_user_form.html", "users", me=me, edited=edited,
                             enrolment=totp.active_totp(db, edited.id),
                             password_min_length=app_state().config.password_min_length)


@blp.get("/admin/tasks")
@page_for_users
def admin_tasks_page() -> str:
    admin_page_user()
    page = page_number()
    listed, has_more = admin_overview.unfinished_tasks(context.db(), (page - 1) * TASKS_PER_PAGE, TASKS_PER_PAGE)
    return render_admin_page("admin_tasks.html", "tasks", tasks=listed, page=page, has_more=has_more)


@blp.get("/admin/activity")
@page_for_users
def admin_activity_page() -> str:
    me = admin_page_user()
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before <= MAX_SEQ:
        before = None  # not an event id: from the newest
    listed = events.list_events(context.db(), me, before=before, limit=EVENTS_PER_PAGE)
    return render_admin_page("admin_activity.html", "activity", events=listed, before=before,
                             older=listed[-1].id if len(listed) == EVENTS_PER_PAGE else None)


@blp.get("/admin/plugins")
@page_for_users
def admin_plugins_page() -> str:
    admin_page_user()
    state = app_state()
    return render_admin_page("admin_plugins.html", "plugins", plugins=state.plugins.info(),
                             components=admin_overview.components_by_plugin(state))


@blp.get("/admin/runners")
@page_for_users
def admin_runners_page() -> str:
    admin_page_user()
    db = context.db()
    state = app_state()
    listed = runners.list_runners(db)
    return render_admin_page("admin_runners.html", "runners", engine=admin_overview.engine_state(state),
                             active=admin_overview.active_task_count(db),
                             waiting=admin_overview.waiting_task_count(db),
                             runners=runners.present(db, state.config.runners.offline_timeout_sec, listed),
                             projects=runners.project_names(db, listed),
                             use_remote_runner=state.config.use_remote_runner,
                             global_token_set=bool(state.config.runner_registration_secret))


@blp.get("/admin/nodes")
@page_for_users
def admin_nodes_page() -> str:
    admin_page_user()
    return render_admin_page("admin_nodes.html", "nodes", nodes=nodes.list_nodes(context.db()),
                             this_node=app_state().node_id, heartbeat_seconds=HEARTBEAT_SECONDS,
                             node_timeout=NODE_TIMEOUT_SECONDS)
