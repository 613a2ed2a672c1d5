"""The user menu's pages and the admin pages in a real browser (Debian's chromium through Playwright)
against a real `semaphore server` process with TOTP on: a user changes their profile and password,
creates and expires an API token, enrols an authenticator and signs in with its code; an admin
creates a user, stops a running task and reads the activity log and the plugins list.

One server and one browser for the module; each test gets a fresh browser context (no cookies)."""

from __future__ import annotations

import hashlib
import re
import time
import urllib.error
import urllib.request

import pyotp
from browser_helpers import assert_ran_cleanly, screenshot, scrolls_horizontally, sign_in, wait_until
from live_server import ADMIN, bash_template

PASSWORD = "a long enough password"


SERVER_ENV = {"SEMAPHORE_TOTP_ENABLED": "true", "SEMAPHORE_TOTP_ALLOW_RECOVERY": "true"}
# server and api: browser_helpers' module fixtures (with SERVER_ENV)


def new_user(api, username):
    return api.created("/api/users", {"username": username, "name": username.title(),
                                      "email": f"{username}@example.test", "password": PASSWORD})


def signed_in(page, server, username, password=PASSWORD):
    sign_in(page, server, username, password)
    page.wait_for_url(server.url + "/projects")


def sign_out(page, server):
    page.locator("#user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.url + "/")


def bearer_status(server, token):
    request = urllib.request.Request(server.url + "/api/user", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def confirm_the_dialog(page, verb, title):
    """Answer the confirmation dialog with its action button (named ``verb``) after checking it asks
    ``title``."""
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for()
    assert page.locator("#confirm-title").inner_text() == title
    with page.expect_navigation():
        dialog.get_by_role("button", name=verb, exact=True).click()


# -- the user menu ------------------------------------------------------------------------------

def test_a_user_changes_their_name_and_password_then_signs_in_with_it(desktop_page, server, api):
    user = new_user(api, "paula")
    page = desktop_page
    signed_in(page, server, "paula")
    page.locator("#user-menu summary").click()
    page.get_by_role("link", name="Profile & security").click()
    page.wait_for_url(server.url + "/account")

    page.get_by_label("Name", exact=True).fill("Paula Profile")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Profile saved.").wait_for()
    assert page.locator("#user-menu summary").inner_text() == "Paula Profile"
    assert api("GET", f"/api/users/{user['id']}")[1]["name"] == "Paula Profile"

    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("the new long password")
    page.get_by_label("Repeat the new password").fill("the new long password")
    page.get_by_role("button", name="Change password").click()
    page.locator("#password-error").filter(has_text="is not your current password").wait_for()
    assert page.locator("#current-password").get_attribute("aria-invalid") == "true"
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill("the new long passwort")
    page.get_by_role("button", name="Change password").click()
    page.locator("#password-error").filter(has_text="The two passwords differ").wait_for()
    assert page.evaluate("document.activeElement.id") == "confirm-password"
    page.get_by_label("Repeat the new password").fill("the new long password")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Password changed.").wait_for()

    sign_out(page, server)
    sign_in(page, server, "paula", PASSWORD)
    page.locator("#login-error").filter(has_text="Invalid login or password").wait_for()
    signed_in(page, server, "paula", "the new long password")
    assert_ran_cleanly(page)


def test_scripts_see_that_the_browser_is_signed_in_but_never_the_session(desktop_page, server, api):
    """The original's web UI decides whether it is signed in by `document.cookie.includes('semaphore=')`:
    that holds after signing in and not after signing out, or once the session ended elsewhere, while
    the session cookie itself stays HttpOnly, out of every script's reach."""
    new_user(api, "kim")
    page = desktop_page
    signed_in_by_script = "document.cookie.includes('semaphore=')"
    signed_in(page, server, "kim")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies["semaphore_session"]
    assert session["httpOnly"] is True and cookies["semaphore"]["httpOnly"] is False
    assert page.evaluate(signed_in_by_script) is True
    assert session["value"] not in page.evaluate("document.cookie")
    sign_out(page, server)
    assert page.evaluate(signed_in_by_script) is False

    signed_in(page, server, "kim")
    session = next(c for c in page.context.cookies() if c["name"] == "semaphore_session")
    request = urllib.request.Request(server.url + "/api/auth/logout", method="POST",
                                     headers={"Cookie": f"semaphore_session={session['value']}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # the session ends elsewhere
        assert response.status == 204
    page.reload()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/(\?.*)?$"))
    assert page.evaluate(signed_in_by_script) is False
    assert_ran_cleanly(page)


def test_an_api_token_is_shown_once_works_and_is_refused_once_expired(desktop_page, server, api, artifact_dir):
    new_user(api, "toby")
    page = desktop_page
    signed_in(page, server, "toby")
    page.locator("#user-menu summary").click()
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url(server.url + "/account/tokens")
    assert page.get_by_text("You have no API tokens.").is_visible()

    page.get_by_role("button", name="Create token").click()
    field = page.get_by_label("Token", exact=True)
    field.wait_for()
    token = field.input_value()
    assert len(token) == 44 and field.get_attribute("readonly") is not None
    assert page.get_by_text("it is shown only once").is_visible()
    prefix = hashlib.sha256(token.encode()).hexdigest()[:8]
    row = page.locator(f'tr[data-token="{prefix}"]')
    assert row.locator("td").nth(2).inner_text() == "active"
    page.get_by_role("button", name="Copy").click()
    page.locator("#copy-status").filter(has_text=re.compile("Copied|Selected")).wait_for()
    screenshot(page, artifact_dir, "api-tokens", for_docs=True)

    assert bearer_status(server, token) == 200
    page.reload()
    assert token not in page.content()  # shown once: a reload no longer has it
    page.locator(f'tr[data-token="{prefix}"]').get_by_role("button", name="Expire").click()
    confirm_the_dialog(page, "Expire", f"Expire token {prefix}?")
    assert page.locator(f'tr[data-token="{prefix}"] td').nth(2).inner_text() == "expired"
    assert bearer_status(server, token) == 401
    assert_ran_cleanly(page)


def test_a_member_leaves_a_project_after_confirming(desktop_page, server, api):
    user = new_user(api, "lena")
    pid = api.created("/api/projects", {"name": "Shared"})["id"]
    assert api("POST", f"/api/project/{pid}/users", {"user_id": user["id"], "role": "task_runner"})[0] == 204
    page = desktop_page
    signed_in(page, server, "lena")
    page.goto(f"{server.url}/project/{pid}/team")
    page.get_by_role("button", name="Leave project").click()
    assert page.get_by_text("You lose access to it until one of its managers adds you again.").is_visible()
    confirm_the_dialog(page, "Leave", "Leave the project “Shared”?")
    page.wait_for_url(server.url + "/projects")
    assert page.get_by_role("link", name="Shared").count() == 0
    assert user["id"] not in {member["id"] for member in api("GET", f"/api/project/{pid}/users")[1]}
    assert_ran_cleanly(page)


def test_a_user_enrols_two_factor_signs_in_with_a_code_and_turns_it_off(desktop_page, server, api, artifact_dir):
    user = new_user(api, "otto")
    page = desktop_page
    signed_in(page, server, "otto")
    page.goto(server.url + "/account")
    page.get_by_role("button", name="Set up two-factor").click()
    qr = page.get_by_role("img", name="QR code holding your two-factor secret")
    qr.wait_for()
    wait_until(page, "document.getElementById('totp-qr').naturalWidth > 0", what="the QR code did not load")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    screenshot(page, artifact_dir, "totp-enrolment", for_docs=True)

    page.get_by_label("Code shown by the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor").click()
    page.locator("#totp-confirm-error").filter(has_text="The code is wrong or expired").wait_for()
    page.get_by_label("Code shown by the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor").click()
    page.get_by_text("Two-factor authentication is on.").wait_for()
    assert page.locator("#totp-recovery-codes li").count() == 8
    assert page.get_by_text("they will not be shown again").is_visible()

    sign_out(page, server)
    sign_in(page, server, "otto", PASSWORD)
    code = page.get_by_label("Code from your authenticator app")
    code.wait_for()
    code.fill(pyotp.TOTP(secret).at(time.time() + 30))  # the enrolment used this step's code
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(server.url + "/projects")

    page.goto(server.url + "/account")
    assert page.locator("#totp-on").is_visible()
    page.get_by_role("button", name="Turn off two-factor").click()
    confirm_the_dialog(page, "Turn off", "Turn off two-factor authentication?")
    page.get_by_role("button", name="Set up two-factor").wait_for()
    assert api("GET", f"/api/users/{user['id']}/2fas/totp")[0] == 404
    assert_ran_cleanly(page)


def test_phone_two_factor_enrolment_and_tokens_without_horizontal_scroll(phone_page, server, api, artifact_dir):
    new_user(api, "phoebe")
    page = phone_page
    signed_in(page, server, "phoebe")
    page.goto(server.url + "/account")
    page.get_by_role("button", name="Set up two-factor").click()
    wait_until(page, "document.getElementById('totp-qr').naturalWidth > 0", what="the QR code did not load")
    assert not scrolls_horizontally(page)
    screenshot(page, artifact_dir, "phone-totp-enrolment")
    page.goto(server.url + "/account/tokens")
    page.get_by_role("button", name="Create token").click()
    page.get_by_label("Token", exact=True).wait_for()
    assert not scrolls_horizontally(page)
    screenshot(page, artifact_dir, "phone-api-tokens")
    assert_ran_cleanly(page)


# -- administration -----------------------------------------------------------------------------

def test_an_admin_creates_a_user_through_the_form_and_sees_them_listed(desktop_page, server, api, artifact_dir):
    page = desktop_page
    signed_in(page, server, ADMIN["SEMAPHORE_ADMIN"], ADMIN["SEMAPHORE_ADMIN_PASSWORD"])
    page.locator("#user-menu summary").click()
    page.get_by_role("link", name="Administration").click()
    page.wait_for_url(server.url + "/admin/users")
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username", exact=True).fill("carla")
    page.get_by_label("Name", exact=True).fill("Carla Created")
    page.get_by_label("E-mail", exact=True).fill("carla@example.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Administrator").check()
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url(server.url + "/admin/users")
    row = page.locator('tr[data-user="carla"]')
    assert row.locator("td").all_inner_texts()[:4] == ["carla", "Carla Created", "carla@example.test", "admin"]
    (carla,) = [user for user in api("GET", "/api/users")[1] if user["username"] == "carla"]
    assert carla["admin"] and carla["name"] == "Carla Created"
    screenshot(page, artifact_dir, "admin-users", for_docs=True)

    page.get_by_role("link", name="Activity").click()
    page.wait_for_url(server.url + "/admin/activity")
    assert page.locator("#activity tbody tr").first.locator("td").last.inner_text() == "User carla created"
    page.get_by_role("link", name="Plugins").click()
    for name in ("ansible", "bash", "password_auth"):
        status = page.locator(f'tr[data-plugin="{name}"] .status')
        assert status.inner_text() == "loaded", name
    assert "executors: ansible" in page.locator('tr[data-plugin="ansible"]').inner_text()
    page.get_by_role("link", name="Runners").click()
    assert page.get_by_text("No runner is registered yet").is_visible()
    assert_ran_cleanly(page)


def test_an_admin_stops_a_running_task_from_the_running_tasks_page(desktop_page, server, api, tmp_path):
    pid, template_id = bash_template(api, tmp_path / "scripts", "wait.sh", "echo started\nsleep 60\n",
                                     project={"name": "Long runs"}, template="Wait a minute")
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
    api.wait_for_output(pid, task["id"], "started")
    page = desktop_page
    signed_in(page, server, ADMIN["SEMAPHORE_ADMIN"], ADMIN["SEMAPHORE_ADMIN_PASSWORD"])
    page.goto(server.url + "/admin/tasks")
    row = page.locator(f'tr[data-task="{task["id"]}"]')
    cells = row.locator("td").all_inner_texts()
    assert cells[:4] == [f"#{task['id']}", "Long runs", "Wait a minute", "running"]
    assert row.get_by_role("link", name=f"#{task['id']}").get_attribute("href") == f"/project/{pid}/tasks/{task['id']}"
    with page.expect_navigation():
        row.get_by_role("button", name=f"Stop task {task['id']}").click()
    api.wait_for_status(pid, task["id"], {"stopped"}, timeout=30)
    page.reload()
    assert page.locator(f'tr[data-task="{task["id"]}"]').count() == 0
    assert_ran_cleanly(page)


def test_a_user_who_is_not_an_admin_gets_403_on_the_admin_pages(desktop_page, server, api):
    new_user(api, "nils")
    page = desktop_page
    signed_in(page, server, "nils")
    page.locator("#user-menu summary").click()
    assert page.get_by_role("link", name="Administration").count() == 0
    response = page.goto(server.url + "/admin/users")
    assert response.status == 403 and page.get_by_text("Only administrators may open this page.").is_visible()
