"""The web UI in a real browser (Debian's chromium through Playwright) against a real
`semaphore server` process: what a user sees when they sign in, create a project, open its dashboard
and give a TOTP code, at a desktop and at a phone viewport.

One server and one browser for the module; each test gets a fresh browser context (no cookies)."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pyotp
import pytest
from browser_helpers import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    assert_ran_cleanly,
    screenshot,
    scrolls_horizontally,
    sign_in,
    wait_until,
)
from live_server import ADMIN, Api, bash_template

SERVER_ENV = {"SEMAPHORE_TOTP_ENABLED": "true", "SEMAPHORE_TOTP_ALLOW_RECOVERY": "true"}
# server and api: browser_helpers' module fixtures (with SERVER_ENV)


@pytest.fixture(scope="module")
def project_with_a_task(api, server, tmp_path_factory):
    """A project whose dashboard has something to show: one finished bash task run by the admin."""
    pid, template_id = bash_template(api, tmp_path_factory.mktemp("repo") / "scripts", "hello.sh", "echo hello\n",
                                     project={"name": "Website"}, template="Say hello")
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
    api.wait_for_status(pid, task["id"], {"success"})
    return pid


def test_a_wrong_password_shows_the_error(desktop_page, server):
    sign_in(desktop_page, server, password="not the password")
    alert = desktop_page.locator("#login-error")
    alert.filter(has_text="Invalid login or password").wait_for()
    assert desktop_page.url == server.url + "/"
    assert_ran_cleanly(desktop_page)


def test_sign_in_create_a_project_and_see_its_dashboard(desktop_page, server, artifact_dir):
    page = desktop_page
    page.goto(server.url + "/")
    page.get_by_label("Login or e-mail").wait_for()
    screenshot(page, artifact_dir, "login", for_docs=True)
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    assert page.get_by_role("heading", name="Projects").is_visible()
    assert page.locator("#user-menu summary").inner_text() == ADMIN["SEMAPHORE_ADMIN_NAME"]

    page.get_by_label("Name").fill("Payments")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/project/\d+$"))
    assert page.get_by_role("heading", name="Payments", level=1).is_visible()
    assert page.get_by_text("No tasks have run in this project yet.").is_visible()
    assert page.locator("#project-switcher summary").inner_text() == "Payments"

    page.goto(server.url + "/projects")
    assert page.get_by_role("link", name="Payments").is_visible()
    screenshot(page, artifact_dir, "projects", for_docs=True)
    assert_ran_cleanly(page)


def test_the_dashboard_lists_recent_tasks_and_the_switcher_moves_between_projects(
        desktop_page, server, project_with_a_task, artifact_dir):
    page = desktop_page
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{server.url}/project/{project_with_a_task}")
    row = page.locator("table.tasks tbody tr").first
    cells = row.locator("td").all_inner_texts()
    assert cells[1:3] == ["Say hello", "success"] and cells[4] == ADMIN["SEMAPHORE_ADMIN_NAME"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[5]) and cells[6].endswith("s")
    task_link = row.get_by_role("link", name=cells[0])
    assert re.fullmatch(rf"/project/{project_with_a_task}/tasks/\d+", task_link.get_attribute("href"))
    screenshot(page, artifact_dir, "dashboard", for_docs=True)

    page.locator("#project-switcher summary").click()
    page.get_by_role("navigation", name="Projects").get_by_role("link", name="All projects").click()
    page.wait_for_url(server.url + "/projects")

    page.locator("#user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.url + "/")
    page.goto(f"{server.url}/project/{project_with_a_task}")
    assert page.url == server.url + "/"  # signed out: the page sends us to the login page
    assert_ran_cleanly(page)


def test_a_project_the_user_is_not_in_is_not_found(desktop_page, server, api, project_with_a_task):
    api.created("/api/users", {"username": "nora", "name": "Nora", "email": "nora@example.test",
                               "password": "nora's long password"})
    sign_in(desktop_page, server, "nora", "nora's long password")
    desktop_page.wait_for_url(server.url + "/projects")
    assert desktop_page.get_by_text("You are not a member of any project yet.").is_visible()
    assert desktop_page.get_by_role("button", name="Create project").count() == 0
    response = desktop_page.goto(f"{server.url}/project/{project_with_a_task}")
    assert response.status == 404 and desktop_page.get_by_text("Project not found.").is_visible()


def _enrolled_user(server, api, username):
    """A user with a confirmed TOTP enrolment; returns its secret."""
    user = api.created("/api/users", {"username": username, "name": username.title(),
                                      "email": f"{username}@example.test", "password": "a long enough password"})
    body = json.dumps({"auth": username, "password": "a long enough password"}).encode()
    request = urllib.request.Request(server.url + "/api/auth/login", method="POST", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    own = Api(server.url)
    status, enrolment = own("POST", f"/api/users/{user['id']}/2fas/totp", cookie=cookie)
    assert status == 201, enrolment
    status, confirmed = own("POST", f"/api/users/{user['id']}/2fas/totp/{enrolment['id']}/confirm",
                            {"passcode": pyotp.TOTP(enrolment["secret"]).now()}, cookie=cookie)
    assert status == 200, confirmed
    return enrolment["secret"]


def test_the_totp_step_asks_for_the_code_and_explains_a_wrong_one(desktop_page, server, api, artifact_dir):
    secret = _enrolled_user(server, api, "tina")
    page = desktop_page
    sign_in(page, server, "tina", "a long enough password")
    code_input = page.get_by_label("Code from your authenticator app")
    code_input.wait_for()
    assert page.locator("#login").is_hidden()
    screenshot(page, artifact_dir, "totp")
    code_input.fill("000000")
    page.get_by_role("button", name="Verify").click()
    page.locator("#code-error").filter(has_text="The code is wrong or expired").wait_for()
    # The enrolment used the current step's code; a code can be used once, so give the next step's.
    code_input.fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(server.url + "/projects")
    assert page.locator("#user-menu summary").inner_text() == "Tina"
    assert_ran_cleanly(page)


def test_phone_viewport_sign_in_and_projects_without_horizontal_scrolling(
        phone_page, server, project_with_a_task, artifact_dir):
    page = phone_page
    page.goto(server.url + "/")
    page.get_by_label("Login or e-mail").wait_for()
    assert not scrolls_horizontally(page)
    screenshot(page, artifact_dir, "phone-login")
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    assert not scrolls_horizontally(page)
    screenshot(page, artifact_dir, "phone-projects", for_docs=True)
    page.get_by_role("link", name="Website").click()
    page.wait_for_url(f"{server.url}/project/{project_with_a_task}")
    assert page.locator("table.tasks").is_visible() and not scrolls_horizontally(page)
    page.locator("#user-menu summary").click()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert not scrolls_horizontally(page)
    screenshot(page, artifact_dir, "phone-dashboard")
    assert_ran_cleanly(page)


def test_dark_scheme_changes_the_colours(dark_phone_page, server, artifact_dir):
    dark_phone_page.goto(server.url + "/")
    dark_phone_page.get_by_label("Login or e-mail").wait_for()
    background = dark_phone_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 27)"
    screenshot(dark_phone_page, artifact_dir, "phone-login-dark")


def test_keyboard_reaches_the_login_form_and_focus_is_visible(desktop_page, server):
    page = desktop_page
    page.goto(server.url + "/")
    wait_until(page, "document.activeElement.id === 'login-auth'")  # focused when the page opens
    page.keyboard.type(ADMIN_LOGIN)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "login-password"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/projects")


def test_every_page_has_the_strict_policy_and_runs_no_inline_script(desktop_page, server, project_with_a_task):
    page = desktop_page
    response = page.goto(server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    # An inline script injected into the page must be refused by the policy, and reported.
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                             document.head.append(s); }""")
    wait_until(page, "window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any("Content Security Policy" in error for error in page.problems.errors)
    page.evaluate("window.__cspViolations.length = 0")
    page.problems.errors.clear()
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    for path in ("/projects", f"/project/{project_with_a_task}"):
        response = page.goto(server.url + path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        assert page.evaluate("[...document.scripts].every((s) => s.src)"), path
    assert page.problems.errors == [] and page.evaluate("window.__cspViolations") == []
