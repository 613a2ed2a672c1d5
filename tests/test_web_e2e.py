"""The whole way through in a real browser against a real `semaphore server`, at a desktop width and
on a 375 px phone: a new user signs in, creates a project, a key, a repository (a real git repository
holding a playbook and a script), an inventory and a variable group through the forms, creates an
ansible template, runs it from the run dialog, watches its log lines arrive live over the websocket
while the real ansible-playbook runs, and reads the per-host results when it succeeds; then creates
a bash template for a long script, runs it and stops it. No page scrolls sideways on the phone."""

from __future__ import annotations

import re
import sys

import pytest
from browser_helpers import assert_ran_cleanly, screenshot, scrolls_horizontally, sign_in
from live_server import git_repository

# The new user is no admin: the operator lists the directory their file:// repository lies in.
SERVER_ENV = {"SEMAPHORE_NON_ADMIN_CAN_CREATE_PROJECT": "true",
              "SEMAPHORE_LOCAL_REPOSITORY_ROOTS": lambda temp: str(temp.getbasetemp())}
PASSWORD = "olivia's long password"
LOCAL = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
# The pause keeps the play running after its first task's output, so the test sees lines arrive
# before the task ends.
PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: greet
      debug: msg="{{ greeting }} from {{ inventory_hostname }}"
    - name: wait a little
      command: sleep 3
    - name: say goodbye
      debug: msg="goodbye from {{ inventory_hostname }}"
"""
LONG_SCRIPT = "echo waiting for a long time\nsleep 600\n"


# server and api: browser_helpers' module fixtures


@pytest.fixture(params=["desktop_page", "phone_page"])
def page(request):
    return request.getfixturevalue(request.param)


def go_to_section(page, project, section):
    page.get_by_role("navigation", name=project).get_by_role("link", name=section, exact=True).click()
    page.get_by_role("heading", name=section, level=1).wait_for()
    assert_fits(page)
    assert_shown_in_the_navigation(page, project, section)


def assert_shown_in_the_navigation(page, project, section):
    """The current section's link lies inside the project navigation (which scrolls sideways on a
    phone), and on a desktop every section's link does."""
    navigation = page.get_by_role("navigation", name=project)
    bounds = navigation.bounding_box()

    def inside(link):
        box = link.bounding_box()
        return bounds["x"] <= box["x"] and box["x"] + box["width"] <= bounds["x"] + bounds["width"]

    assert inside(navigation.get_by_role("link", name=section, exact=True)), section
    if page.viewport_size["width"] >= 1000:
        assert all(inside(link) for link in navigation.get_by_role("link").all()), "a section is out of sight"


def assert_fits(page):
    assert not scrolls_horizontally(page), f"{page.url} scrolls sideways"


def ready(page):
    """Until the page's scripts run: a click that navigates returns once the new page has started,
    and a form submitted before its script took over would do nothing."""
    page.wait_for_load_state("load")


def submit(page, button, url_ending):
    ready(page)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(re.escape(url_ending) + "$"))
    assert_fits(page)


def test_a_new_user_sets_up_a_project_and_runs_a_playbook(page, server, api, tmp_path, artifact_dir, request):
    width = "phone" if "phone" in request.node.callspec.id else "desktop"
    username = f"olivia-{width}"
    api.created("/api/users", {"username": username, "name": "Olivia", "email": f"{username}@example.test",
                               "password": PASSWORD})
    url = git_repository(tmp_path / "playbooks", {"site.yml": PLAYBOOK, "long.sh": LONG_SCRIPT})
    project = f"Deployments {width}"

    sign_in(page, server, username, PASSWORD)
    page.wait_for_url(server.url + "/projects")
    assert page.get_by_text("You are not a member of any project yet.").is_visible()
    page.get_by_label("Name").fill(project)
    ready(page)
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/project/\d+$"))
    pid = int(page.url.rsplit("/", 1)[1])
    base = f"/project/{pid}"
    assert_fits(page)

    go_to_section(page, project, "Key store")
    page.get_by_role("link", name="New key").click()
    page.get_by_label("Name", exact=True).fill("no credentials")
    page.get_by_label("Type").select_option("none")
    submit(page, "Create key", base + "/keys")

    go_to_section(page, project, "Repositories")
    page.get_by_role("link", name="New repository").click()
    page.get_by_label("Name", exact=True).fill("playbooks")
    page.get_by_label("URL").fill(url)
    page.get_by_label("Access key").select_option(label="no credentials")
    submit(page, "Create repository", base + "/repositories")

    go_to_section(page, project, "Inventory")
    page.get_by_role("link", name="New inventory").click()
    page.get_by_label("Name", exact=True).fill("this machine")
    page.get_by_label("Inventory (INI)").fill(f"localhost {LOCAL}\n")
    submit(page, "Create inventory", base + "/inventory")

    go_to_section(page, project, "Variable groups")
    page.get_by_role("link", name="New variable group").click()
    page.get_by_label("Name", exact=True).fill("greetings")
    page.get_by_label("Extra variables (JSON)").fill('{"greeting": "hello"}')
    submit(page, "Create variable group", base + "/environment")

    go_to_section(page, project, "Templates")
    page.get_by_role("link", name="New template").click()
    page.locator("#app-choices").get_by_role("link", name=re.compile("^Ansible")).click()
    page.get_by_label("Name (required)", exact=True).fill("Site")
    page.get_by_label("Playbook (required)").fill("site.yml")
    page.get_by_label("Repository (required)").select_option(label="playbooks")
    page.get_by_label("Inventory (required)").select_option(label="this machine")
    page.get_by_label("Variable group").select_option(label="greetings")
    assert_fits(page)
    ready(page)
    page.get_by_role("button", name="Create template").click()
    page.wait_for_url(re.compile(rf"{base}/templates/\d+$"))
    page.get_by_role("heading", name="Site", level=1).wait_for()
    assert_fits(page)

    ready(page)
    page.get_by_role("button", name="Run", exact=True).click()
    dialog = page.locator("#run-dialog")
    dialog.get_by_label("Message").fill("first deploy")
    assert_fits(page)
    dialog.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(rf"{base}/tasks/\d+$"), timeout=30_000)
    task_id = int(page.url.rsplit("/", 1)[1])

    status = page.locator("#task-status")
    page.locator("#log .log-row", has_text="hello from localhost").wait_for(timeout=60_000)
    assert "goodbye" not in page.locator("#log").inner_text()  # the line came while the play still ran
    status.filter(has_text="success").wait_for(timeout=60_000)
    page.locator("#log .log-row", has_text="goodbye from localhost").wait_for()
    page.locator("#log .log-row", has_text="PLAY RECAP").wait_for()
    hosts = page.locator("#task-hosts tr[data-host=localhost] td")
    hosts.first.wait_for()
    assert hosts.all_inner_texts()[:2] == ["changed", "3"]  # status, then ok: greet, the command, goodbye
    assert page.get_by_text("first deploy").is_visible()
    assert_fits(page)
    screenshot(page, artifact_dir, f"{width}-ansible-run", for_docs=width == "phone")

    stored = api("GET", f"/api/project/{pid}/tasks/{task_id}")[1]
    assert (stored["status"], stored["message"]) == ("success", "first deploy")
    go_to_section(page, project, "Task history")
    assert page.get_by_role("link", name=f"#{task_id}").is_visible()

    # A long script as a bash template, run and stopped from its task page.
    go_to_section(page, project, "Templates")
    page.get_by_role("link", name="New template").click()
    page.locator("#app-choices").get_by_role("link", name=re.compile("^Bash")).click()
    page.get_by_label("Name (required)", exact=True).fill("Long job")
    page.get_by_label("Script (required)").fill("long.sh")
    page.get_by_label("Repository (required)").select_option(label="playbooks")
    ready(page)
    page.get_by_role("button", name="Create template").click()
    page.get_by_role("heading", name="Long job", level=1).wait_for()
    ready(page)
    page.get_by_role("button", name="Run", exact=True).click()
    page.locator("#run-dialog").get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(rf"{base}/tasks/\d+$"), timeout=30_000)  # busy machine: the request, then the page
    long_task = int(page.url.rsplit("/", 1)[1])
    page.locator("#log .log-row", has_text="waiting for a long time").wait_for(timeout=60_000)
    status.filter(has_text="running").wait_for()
    page.get_by_role("button", name="Stop").click()
    status.filter(has_text="stopped").wait_for(timeout=30_000)
    assert api("GET", f"/api/project/{pid}/tasks/{long_task}")[1]["status"] == "stopped"
    assert_fits(page)
    assert_ran_cleanly(page)
