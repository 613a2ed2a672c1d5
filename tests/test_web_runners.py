"""The runners page in a real browser against a real server: an admin adds a runner (the page shows
the registration command with a one-time token), the runner registers with it and is listed with
its status, version, tags and apps; the admin disables and removes it, and its token stops working."""

from __future__ import annotations

from browser_helpers import assert_ran_cleanly, screenshot, sign_in
from runner_helpers import registration_body, runner_call


def test_an_admin_adds_disables_and_removes_a_runner(desktop_page, server, api, artifact_dir):
    page = desktop_page
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(server.url + "/admin/runners")
    assert page.get_by_text("No runner is registered yet").is_visible()
    page.get_by_label("Name (optional)").fill("build box")
    page.get_by_role("button", name="Add runner").click()
    command = page.get_by_label("Registration command")
    command.wait_for()
    words = command.input_value().split()
    assert words[0] == "echo" and words[2:] == ["|", "semaphore", "runner", "register", "--stdin-registration-token",
                                                "--config", "/path/to/runner/config.json"]
    status, registered = runner_call(server.url, "POST", registration_body(words[1], tags=["linux", "docker"],
                                                                           apps=["bash", "ansible"], version="2.1"))
    assert status == 200, registered

    page.reload()
    row = page.locator(f'tr[data-runner="{registered["id"]}"]')
    cells = row.locator("td").all_inner_texts()
    assert cells[:8] == ["build box", "Global", "online", cells[3], "2.1", "0 of 2", "linux, docker", "bash, ansible"]
    screenshot(page, artifact_dir, "admin-runners", for_docs=True)

    row.get_by_role("button", name="Disable runner build box").click()
    page.wait_for_load_state()
    page.locator(f'tr[data-runner="{registered["id"]}"] .status', has_text="disabled").wait_for()
    assert api("GET", f"/api/runners/{registered['id']}")[1]["active"] is False

    page.locator(f'tr[data-runner="{registered["id"]}"]').get_by_role("button", name="Remove runner build box").click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for()
    assert page.locator("#confirm-title").inner_text() == "Remove runner build box?"
    with page.expect_navigation():
        dialog.get_by_role("button", name="Remove", exact=True).click()
    assert page.get_by_text("No runner is registered yet").is_visible()
    assert runner_call(server.url, "DELETE", token=registered["token"])[0] == 401
    assert_ran_cleanly(page)


PASSWORD = "a long enough password"


def _member(api, project_id, username, role):
    user = api.created("/api/users", {"username": username, "name": username.title(),
                                      "email": f"{username}@example.test", "password": PASSWORD})
    assert api("POST", f"/api/project/{project_id}/users", {"user_id": user["id"], "role": role})[0] == 204


def test_a_project_manager_adds_a_runner_in_the_projects_settings(desktop_page, server, api):
    project = api.created("/api/projects", {"name": "Closed network"})
    _member(api, project["id"], "manon", "manager")
    _member(api, project["id"], "gus", "guest")
    page = desktop_page
    sign_in(page, server, "gus", PASSWORD)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{server.url}/project/{project['id']}/settings")
    assert page.locator("#project-runners").count() == 0 and page.locator("#add-runner").count() == 0

    page.context.clear_cookies()
    sign_in(page, server, "manon", PASSWORD)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{server.url}/project/{project['id']}/settings")
    assert page.locator("#project-runners").get_by_text("No runner is registered yet").is_visible()
    page.get_by_role("button", name="Add runner").click()
    command = page.get_by_label("Registration command")
    command.wait_for()
    status, registered = runner_call(server.url, "POST", registration_body(command.input_value().split()[1],
                                                                           name="inside"))
    assert status == 200, registered
    page.reload()
    cells = page.locator(f'tr[data-runner="{registered["id"]}"] td').all_inner_texts()
    assert cells[:2] == ["inside", "online"]  # no scope column: every runner here is the project's
    assert api("GET", f"/api/runners/{registered['id']}")[1]["project_id"] == project["id"]
    assert_ran_cleanly(page)
