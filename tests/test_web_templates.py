"""Templates, the run dialog and task history in a real browser against a real `semaphore server`:
create a bash template through its form (and see the API's field error), edit it, search for it, put
it in a view, run it with a message and a survey value, filter the task history by status; the run
dialog at a 375 px phone viewport. One server and one browser for the module."""

from __future__ import annotations

import json
import re

import pytest
from browser_helpers import assert_ran_cleanly, screenshot, scrolls_horizontally, sign_in
from live_server import bash_template

# server and api: browser_helpers' module fixtures


@pytest.fixture(scope="module")
def project(api, tmp_path_factory):
    """A project with a repository (greet.sh prints its NAME=VALUE arguments), inventory, variable
    group and one bash template."""
    pid, template_id = bash_template(api, tmp_path_factory.mktemp("repo") / "scripts", "greet.sh",
                                     'echo "hello $*"\n', project={"name": "Website"},
                                     template="Existing job")
    return {"id": pid, "template_id": template_id}


def templates_url(server, pid, query=""):
    return f"{server.url}/project/{pid}/templates{query}"


def test_create_edit_search_view_and_run_a_template(desktop_page, server, api, project, artifact_dir):
    page, pid = desktop_page, project["id"]
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(templates_url(server, pid))
    page.get_by_role("link", name="New template").click()
    page.locator("#app-choices").get_by_role("link", name=re.compile("^Bash")).click()
    page.wait_for_url(re.compile(r"/templates/new\?app=bash$"))

    # The script path is missing: the API's 400 names the field and the form marks it.
    page.get_by_label("Name (required)", exact=True).fill("Greet")
    page.get_by_label("Repository (required)").select_option(label="scripts")
    page.get_by_role("button", name="Create template").click()
    alert = page.locator("#template-error")
    alert.filter(has_text=re.compile("required", re.I)).wait_for()
    assert page.locator("#tf-playbook").get_attribute("aria-invalid") == "true"
    screenshot(page, artifact_dir, "template-form", for_docs=True)

    page.get_by_label("Script (required)").fill("greet.sh")
    page.get_by_role("button", name="Add variable").click()
    page.get_by_label("Variable name").fill("who")
    page.get_by_label("Title", exact=True).fill("Who")
    page.get_by_label("Required", exact=True).check()
    page.get_by_role("button", name="Create template").click()
    page.wait_for_url(re.compile(rf"/project/{pid}/templates/\d+$"))
    template_id = int(page.url.rsplit("/", 1)[1])
    status, stored = api("GET", f"/api/project/{pid}/templates/{template_id}")
    assert status == 200 and stored["app"] == "bash" and stored["playbook"] == "greet.sh"
    assert [(v["name"], v["title"], v["required"]) for v in stored["survey_vars"]] == [("who", "Who", True)]

    # Edit: a new name.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name (required)", exact=True).fill("Greet everyone")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/templates/{template_id}$"))
    assert page.get_by_role("heading", name="Greet everyone", level=1).is_visible()

    # Search by name.
    page.goto(templates_url(server, pid))
    page.get_by_label("Search templates").fill("everyone")
    page.get_by_label("Search templates").press("Enter")
    page.wait_for_url(re.compile(r"\?q=everyone"))
    rows = page.locator("#templates-table tbody tr")
    assert rows.count() == 1 and "Greet everyone" in rows.first.inner_text()

    # A new view, the template put in it, the tabs switched.
    page.goto(templates_url(server, pid))
    page.locator("#manage-views summary").click()
    page.get_by_label("New view").fill("Daily")
    page.get_by_role("button", name="Add view").click()
    page.wait_for_url(re.compile(r"\?view=\d+$"))
    view_id = int(page.url.rsplit("=", 1)[1])
    assert page.locator("#no-templates").is_visible()
    page.goto(f"{templates_url(server, pid)}/{template_id}/edit")
    page.get_by_label("View", exact=True).select_option(label="Daily")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/templates/{template_id}$"))
    page.goto(templates_url(server, pid))
    page.locator("#view-tabs").get_by_role("link", name="Daily").click()
    page.wait_for_url(re.compile(rf"\?view={view_id}$"))
    assert page.locator("#templates-table tbody tr").count() == 1
    page.locator("#view-tabs").get_by_role("link", name="All").click()
    page.wait_for_url(templates_url(server, pid))
    assert page.locator("#templates-table tbody tr").count() >= 2
    screenshot(page, artifact_dir, "templates", for_docs=True)

    # Run it with a message and the survey value.
    page.locator(f'button[data-run="{template_id}"]').click()
    dialog = page.locator("#run-dialog")
    dialog.get_by_label("Who (required)").wait_for()
    assert dialog.get_by_label("Git branch").is_hidden() and dialog.get_by_label("CLI arguments").is_hidden()
    dialog.get_by_label("Message").fill("first greeting")
    dialog.get_by_label("Who (required)").fill("world")
    screenshot(page, artifact_dir, "run-dialog", for_docs=True)
    dialog.get_by_label("Who (required)").fill("")
    dialog.get_by_role("button", name="Run").click()  # the required survey value is missing
    dialog.locator("#run-error").filter(has_text="a value is required").wait_for()
    assert dialog.get_by_label("Who (required)").get_attribute("aria-invalid") == "true"
    dialog.get_by_label("Who (required)").fill("world")
    assert_ran_cleanly(page)
    dialog.get_by_role("button", name="Run").click()
    page.wait_for_url(re.compile(rf"/project/{pid}/tasks/\d+$"))
    task_id = int(page.url.rsplit("/", 1)[1])
    status, task = api("GET", f"/api/project/{pid}/tasks/{task_id}")
    assert status == 200 and task["template_id"] == template_id and task["message"] == "first greeting"
    assert json.loads(task["environment"]) == {"who": "world"}
    api.wait_for_output(pid, task_id, "hello who=world")  # the survey value reached the script


def test_task_history_filters_by_status(desktop_page, server, api, project):
    page, pid = desktop_page, project["id"]
    status, existing = api("GET", f"/api/project/{pid}/templates/{project['template_id']}")
    broken = api.created(f"/api/project/{pid}/templates", {
        **{name: existing[name] for name in ("repository_id", "environment_id", "project_id")},
        "name": "Broken job", "app": "bash", "playbook": "missing.sh"})
    good = api.created(f"/api/project/{pid}/tasks", {"template_id": project["template_id"], "message": "works"})
    bad = api.created(f"/api/project/{pid}/tasks", {"template_id": broken["id"], "message": "fails"})
    api.wait_for_status(pid, good["id"], {"success"})
    api.wait_for_status(pid, bad["id"], {"error"})

    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{server.url}/project/{pid}/history")
    table = page.locator("#task-table")
    assert table.locator(f'tr[data-task="{good["id"]}"]').is_visible()
    assert table.locator(f'tr[data-task="{bad["id"]}"]').is_visible()
    page.get_by_role("navigation", name="Task status").get_by_role("link", name="Error").click()
    page.wait_for_url(re.compile(r"\?status=error$"))
    assert table.locator(f'tr[data-task="{bad["id"]}"]').is_visible()
    assert table.locator(f'tr[data-task="{good["id"]}"]').count() == 0
    assert "Broken job" in table.inner_text() and "fails" in table.inner_text()
    page.get_by_role("navigation", name="Task status").get_by_role("link", name="Success").click()
    page.wait_for_url(re.compile(r"\?status=success$"))
    assert table.locator(f'tr[data-task="{good["id"]}"]').is_visible()
    assert table.locator(f'tr[data-task="{bad["id"]}"]').count() == 0
    page.locator(f'tr[data-task="{good["id"]}"]').get_by_role("link", name=f'#{good["id"]}').click()
    page.wait_for_url(re.compile(rf"/project/{pid}/tasks/{good['id']}$"))


def test_the_run_dialog_fits_a_phone(phone_page, server, project, artifact_dir):
    page, pid = phone_page, project["id"]
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(templates_url(server, pid))
    assert not scrolls_horizontally(page)
    page.locator(f'button[data-run="{project["template_id"]}"]').click()
    dialog = page.locator("#run-dialog")
    dialog.get_by_label("Message").wait_for()
    box = dialog.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert not scrolls_horizontally(page)
    screenshot(page, artifact_dir, "run-dialog-phone")
    dialog.get_by_role("button", name="Cancel").click()
    assert dialog.is_hidden()
    assert_ran_cleanly(page)


def test_every_run_button_of_the_list_is_in_view_on_a_phone(phone_page, server, api, project, artifact_dir):
    """No sideways scrolling, of the page or of the list, to reach a template's Run button."""
    page, pid = phone_page, project["id"]
    api.created(f"/api/project/{pid}/tasks", {"template_id": project["template_id"]})  # a "last task" cell
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(templates_url(server, pid))
    buttons = page.locator("#templates-table button[data-run]")
    assert buttons.count() >= 1
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert not page.evaluate("[...document.querySelectorAll('.table-scroll')].some("
                             "(list) => list.scrollWidth > list.clientWidth)")
    assert not scrolls_horizontally(page)
    screenshot(page, artifact_dir, "templates-phone")
    assert_ran_cleanly(page)


def test_the_ansible_form_edits_task_params_vaults_and_enum_survey_rows(desktop_page, server, api, project):
    page, pid = desktop_page, project["id"]
    key = api.created(f"/api/project/{pid}/keys", {"name": "vault pass", "type": "login_password", "project_id": pid,
                                                    "login_password": {"login": "", "password": "v4ult"}})
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{templates_url(server, pid)}/new?app=ansible")
    page.get_by_label("Name (required)", exact=True).fill("Site")
    page.get_by_label("Playbook (required)").fill("site.yml")
    page.get_by_label("Repository (required)").select_option(label="scripts")
    page.get_by_label("Inventory (required)").select_option(label="local")
    page.get_by_label("Limit", exact=True).fill("web, db")
    page.get_by_label("Allow tags in task").check()

    page.get_by_role("button", name="Add vault").click()
    page.get_by_label("Password key").select_option(label="vault pass")
    page.get_by_role("button", name="Add vault").click()
    page.locator("#vault-1-type").select_option("script")
    assert page.locator("#vault-1-key").is_hidden() and page.locator("#vault-1-script").is_visible()
    page.locator("#vault-1-name").fill("prod")
    page.locator("#vault-1-script").fill("vault-client.py")

    page.get_by_role("button", name="Add variable").click()
    page.get_by_label("Variable name").fill("color")
    assert page.get_by_label("Choices").is_hidden()
    page.get_by_label("Type", exact=True).last.select_option("enum")
    page.get_by_label("Choices").fill("Red=red\nblue")
    page.get_by_role("button", name="Create template").click()
    page.wait_for_url(re.compile(rf"/project/{pid}/templates/\d+$"))
    template_id = int(page.url.rsplit("/", 1)[1])
    status, stored = api("GET", f"/api/project/{pid}/templates/{template_id}")
    assert stored["task_params"]["limit"] == "web, db" and stored["task_params"]["allow_override_tags"] is True
    assert stored["task_params"]["allow_override_limit"] is False
    assert [(v["type"], v["vault_key_id"], v["name"], v["script"]) for v in stored["vaults"]] == [
        ("password", key["id"], None, None), ("script", None, "prod", "vault-client.py")]
    assert stored["survey_vars"][0]["values"] == [{"name": "Red", "value": "red"}, {"name": "blue", "value": "blue"}]

    # The run dialog offers what this template allows: tags (not limit), ansible's flags, the survey choice.
    page.get_by_role("button", name="Run").first.click()
    dialog = page.locator("#run-dialog")
    dialog.get_by_label("Tags", exact=True).wait_for()
    assert dialog.get_by_label("Limit").is_hidden() and dialog.get_by_label("Dry run (--check)").is_visible()
    assert dialog.get_by_label("color").locator("option").all_inner_texts() == ["—", "Red", "blue"]
    dialog.get_by_role("button", name="Cancel").click()
    assert_ran_cleanly(page)
