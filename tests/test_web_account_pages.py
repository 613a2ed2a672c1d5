"""The account pages (/account, /account/tokens) and the admin pages (/admin/...) through Flask's test
client: what each shows to whom, that secrets never appear in a page, the server-drawn QR code, and
one query per list. tests/test_web_account.py drives them in a real browser."""

from __future__ import annotations

import re
import shutil

import pyotp
import pytest
from sqlalchemy import event
from task_helpers import ScriptExecutorPlugin, build_app, create_project, create_template, run_task, set_task_status

from semaphore.db.models import User
from semaphore.testing import create_user_row, log_in, make_config


@pytest.fixture
def site(tmp_path, _migrated):
    """An app with TOTP (and recovery codes) on and a stand-in bash executor."""
    env = dict(_migrated("sqlite"))
    shutil.copy(env["SEMAPHORE_DB_HOST"], tmp_path / "semaphore.sqlite")
    env.update(SEMAPHORE_DB_HOST=str(tmp_path / "semaphore.sqlite"), SEMAPHORE_TOTP_ENABLED="true",
               SEMAPHORE_TOTP_ALLOW_RECOVERY="true")
    application = build_app(make_config(tmp_path, env), script=ScriptExecutorPlugin())
    yield application
    application.extensions["semaphore"].db.dispose()


def html_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def user_row(app, username):
    with app.extensions["semaphore"].db.session() as db:
        return db.query(User).filter_by(username=username).one()


def count_statements(app):
    """A list that grows with each SQL statement the app's engine sends."""
    statements = []
    event.listen(app.extensions["semaphore"].db.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    return statements


# -- /account -----------------------------------------------------------------------------------

def test_the_account_page_shows_the_profile_and_the_password_form(site):
    uid = create_user_row(site, "alice", name="Alice <A>", email="alice@example.test")
    html = html_of(log_in(site.test_client(), "alice").get("/account"))
    assert f'data-api="/api/users/{uid}" data-method="PUT"' in html
    assert 'value="Alice &lt;A&gt;"' in html and 'value="alice@example.test"' in html
    assert f'data-api="/api/users/{uid}/password"' in html and 'id="confirm-password"' in html
    # changing your own password takes the current one; the new one's rule is shown
    assert re.search(r'<input id="current-password" name="current_password" type="password"[^>]* required', html)
    assert "At least 8 characters." in html and 'minlength="8"' in html
    assert 'id="totp-begin"' in html and 'id="totp-on"' not in html
    assert 'href="/account/tokens"' in html  # the user menu links the pages


def test_an_external_user_is_told_the_password_is_managed_elsewhere(site):
    create_user_row(site, "lena")
    lena = log_in(site.test_client(), "lena")  # as if LDAP had let her in: external users have no password here
    with site.extensions["semaphore"].db.session() as db:
        db.query(User).filter_by(username="lena").one().external = True
    html = html_of(lena.get("/account"))
    assert 'id="password-external"' in html and 'id="password-form"' not in html
    assert re.search(r'<input id="profile-username"[^>]*disabled', html)


def test_two_factor_is_not_offered_when_the_server_has_it_off(sqlite_app):
    create_user_row(sqlite_app, "alice")
    html = html_of(log_in(sqlite_app.test_client(), "alice").get("/account"))
    assert 'id="totp"' not in html and 'id="profile-form"' in html


def test_the_enrolment_qr_code_is_an_svg_of_the_users_own_pending_enrolment(site):
    alice_id = create_user_row(site, "alice")
    create_user_row(site, "bob")
    alice = log_in(site.test_client(), "alice")
    enrolment = alice.post(f"/api/users/{alice_id}/2fas/totp").get_json()
    qr = alice.get(f"/account/totp/{enrolment['id']}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    svg = qr.get_data(as_text=True)
    assert svg.startswith("<svg") and " style=" not in svg and "<script" not in svg
    assert qr.headers["Cache-Control"] == "no-store"
    assert log_in(site.test_client(), "bob").get(f"/account/totp/{enrolment['id']}/qr.svg").status_code == 404

    confirmed = alice.post(f"/api/users/{alice_id}/2fas/totp/{enrolment['id']}/confirm",
                           json={"passcode": pyotp.TOTP(enrolment["secret"]).now()})
    assert confirmed.status_code == 200
    assert alice.get(f"/account/totp/{enrolment['id']}/qr.svg").status_code == 404  # no longer pending
    html = html_of(alice.get("/account"))
    assert 'id="totp-on"' in html and "8 recovery codes left" in html
    assert f'data-delete="/api/users/{alice_id}/2fas/totp/{enrolment["id"]}"' in html
    assert enrolment["secret"] not in html and 'id="totp-begin"' not in html


def test_the_tokens_page_lists_token_ids_never_the_tokens(site):
    create_user_row(site, "alice")
    alice = log_in(site.test_client(), "alice")
    first = alice.post("/api/user/tokens").get_json()["id"]
    second = alice.post("/api/user/tokens").get_json()["id"]
    listed = {token["id"]: token for token in alice.get("/api/user/tokens").get_json()}
    expired_id = next(iter(listed))
    assert alice.delete(f"/api/user/tokens/{expired_id}").status_code == 204
    html = html_of(alice.get("/account/tokens"))
    assert first not in html and second not in html
    for token_id in listed:
        assert f'data-token="{token_id[:8]}"' in html
    assert f'data-delete="/api/user/tokens/{expired_id}"' not in html  # an expired token has no Expire button
    assert html.count('data-delete="/api/user/tokens/') == 1
    assert 'id="create-token"' in html and "shown only once" in html


# -- /admin ---------------------------------------------------------------------------------------

def test_admin_pages_are_forbidden_to_other_users(site):
    create_user_row(site, "bob")
    bob = log_in(site.test_client(), "bob")
    for path in ("/admin/users", "/admin/users/new", "/admin/users/1", "/admin/tasks", "/admin/activity",
                 "/admin/plugins", "/admin/runners", "/admin/nodes"):
        response = bob.get(path)
        assert response.status_code == 403 and "administrators" in response.get_data(as_text=True), path
    assert 'href="/admin/users"' not in html_of(bob.get("/account"))


def enrol_totp(site, username, user_id):
    """The user enrols an authenticator and confirms it with its first code; the enrolment."""
    own = log_in(site.test_client(), username)
    begun = own.post(f"/api/users/{user_id}/2fas/totp").get_json()
    confirmed = own.post(f"/api/users/{user_id}/2fas/totp/{begun['id']}/confirm",
                         json={"passcode": pyotp.TOTP(begun["secret"]).now()})
    assert confirmed.status_code == 200, confirmed.get_json()
    return begun


def test_the_users_list_is_paged_and_shows_two_factor_in_one_query(site):
    create_user_row(site, "root", admin=True)
    for number in range(55):
        create_user_row(site, f"user{number:02}")
    enrol_totp(site, "user00", user_row(site, "user00").id)
    root = log_in(site.test_client(), "root")
    statements = count_statements(site)
    first = html_of(root.get("/admin/users"))
    assert len(statements) < 15, statements
    rows = re.findall(r'<tr data-user="([^"]+)">', first)
    assert rows[:2] == ["root", "user00"] and len(rows) == 50
    assert re.search(r'data-user="user00">.*?<td>on</td>', first, re.S)
    assert 'href="/admin/users?page=2"' in first and 'rel="prev"' not in first
    second = html_of(root.get("/admin/users?page=2"))
    assert re.findall(r'<tr data-user="([^"]+)">', second) == [f"user{number}" for number in range(49, 55)]
    assert 'rel="next"' not in second


def test_the_user_forms_create_and_edit_through_the_api(site):
    root_id = create_user_row(site, "root", admin=True)
    create_user_row(site, "bob")
    bob = user_row(site, "bob")
    root = log_in(site.test_client(), "root")
    new = html_of(root.get("/admin/users/new"))
    assert re.search(r'data-api="/api/users"\s+data-method="POST"', new) and 'id="user-password"' in new
    edit = html_of(root.get(f"/admin/users/{bob.id}"))
    assert re.search(rf'data-api="/api/users/{bob.id}"\s+data-method="PUT"', edit) and 'id="user-password"' not in edit
    assert f'data-api="/api/users/{bob.id}/password"' in edit and f'data-delete="/api/users/{bob.id}"' in edit
    assert 'name="current_password"' not in edit  # an admin sets another user's password without theirs
    assert 'id="user-totp-off"' in edit
    own = html_of(root.get(f"/admin/users/{root_id}"))
    assert 'id="user-admin"' not in own and 'id="own-admin-note"' in own and 'data-delete="/api/users/' not in own
    assert 'id="set-password-current" name="current_password"' in own  # but their own only with it
    assert root.get("/admin/users/999999").status_code == 404


def test_an_admin_can_reset_a_users_two_factor_from_their_page(site):
    create_user_row(site, "root", admin=True)
    bob_id = create_user_row(site, "bob")
    begun = enrol_totp(site, "bob", bob_id)
    root = log_in(site.test_client(), "root")
    html = html_of(root.get(f"/admin/users/{bob_id}"))
    button = f'data-delete="/api/users/{bob_id}/2fas/totp/{begun["id"]}"'
    assert button in html and "Reset two-factor" in html
    assert root.delete(f"/api/users/{bob_id}/2fas/totp/{begun['id']}").status_code == 204
    assert 'id="user-totp-off"' in html_of(root.get(f"/admin/users/{bob_id}"))


def test_the_tasks_page_lists_unfinished_tasks_of_every_project_in_one_query(site):
    create_user_row(site, "root", admin=True)
    root = log_in(site.test_client(), "root")
    projects = [create_project(site, root, name) for name in ("Web", "Billing")]
    tasks = []
    for project in projects:
        template = create_template(root, project, name=f"Deploy {project.id}")
        tasks += [run_task(root, project, template["id"]) for _ in range(3)]
    set_task_status(site, tasks[0]["id"], "running")
    set_task_status(site, tasks[1]["id"], "success")
    statements = count_statements(site)
    html = html_of(root.get("/admin/tasks"))
    assert len(statements) < 12, statements
    listed = [int(task_id) for task_id in re.findall(r'<tr data-task="(\d+)">', html)]
    assert listed == [task["id"] for task in tasks if task is not tasks[1]]
    first = tasks[0]
    assert f'href="/project/{first["project_id"]}/tasks/{first["id"]}"' in html
    assert f'data-stop="/api/project/{first["project_id"]}/tasks/{first["id"]}/stop"' in html
    assert ">Billing</a>" in html and f"Deploy {projects[1].id}" in html and "status-running" in html
    for task in tasks:
        set_task_status(site, task["id"], "stopped")
    assert 'id="no-running-tasks"' in html_of(root.get("/admin/tasks"))


def test_the_activity_page_is_newest_first_and_paged_by_event(site):
    create_user_row(site, "root", admin=True)
    root = log_in(site.test_client(), "root")
    for number in range(55):
        created = root.post("/api/users", json={"username": f"u{number}", "email": f"u{number}@example.test",
                                                "password": "long enough password"})
        assert created.status_code == 201
    first = html_of(root.get("/admin/activity"))
    descriptions = re.findall(r'<td class="wrap">([^<]+)</td>', first)
    assert descriptions[0] == "User u54 created" and len(descriptions) == 50
    older = re.search(r'href="/admin/activity\?before=(\d+)"', first)
    assert older
    second = html_of(root.get(f"/admin/activity?before={older.group(1)}"))
    assert re.findall(r'<td class="wrap">([^<]+)</td>', second) == [f"User u{n} created" for n in range(4, -1, -1)]
    assert 'href="/admin/activity">Newest' in second and "before=" not in second.split("Newest")[1]


def test_the_plugins_page_lists_each_plugin_with_what_it_registered(site):
    create_user_row(site, "root", admin=True)
    html = html_of(log_in(site.test_client(), "root").get("/admin/plugins"))
    password_row = re.search(r'<tr data-plugin="password_auth">(.*?)</tr>', html, re.S).group(1)
    assert "built in" in password_row and "loaded" in password_row and "auth backends: password" in password_row
    script_row = re.search(r'<tr data-plugin="script">(.*?)</tr>', html, re.S).group(1)
    assert "executors: bash" in script_row


def test_the_plugins_page_shows_a_failed_plugin_with_its_error(site):
    create_user_row(site, "root", admin=True)
    plugins = site.extensions["semaphore"].plugins
    plugins.strict = False  # as on a production server: the failure is recorded, not raised
    plugins.fail("script", RuntimeError("the plugin broke"))
    html = html_of(log_in(site.test_client(), "root").get("/admin/plugins"))
    script_row = re.search(r'<tr data-plugin="script">(.*?)</tr>', html, re.S).group(1)
    assert "failed" in script_row and "the plugin broke" in script_row


def test_the_runners_page_shows_this_servers_engine_and_no_remote_runners_yet(site):
    create_user_row(site, "root", admin=True)
    root = log_in(site.test_client(), "root")
    project = create_project(site, root)
    template = create_template(root, project)
    run_task(root, project, template["id"])
    html = html_of(root.get("/admin/runners"))
    assert re.search(r'id="max-parallel">10\b', html)
    assert "no task engine in this process" in html  # the test app runs no tasks
    assert re.search(r'id="waiting">1<', html) and re.search(r'id="running-all">0<', html)
    assert 'id="no-runners"' in html and "Turn <code class=\"code\">use_remote_runner</code> on" in html
