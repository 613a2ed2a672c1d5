"""Schedules, integrations, team and settings in a real browser against a real `semaphore server`:
what the admin types and clicks, and what the API then holds."""

from __future__ import annotations

import os
import re

import pytest
from browser_helpers import assert_ran_cleanly, screenshot, scrolls_horizontally, sign_in, wait_until
from live_server import bash_template
from pager_plugin import semaphore_test_pager

# The test pager is on the server's path, so it loads through its entry point as an installed plugin.
SERVER_ENV = {"SEMAPHORE_SCHEDULE_TIMEZONE": "Europe/Berlin",
              "PYTHONPATH": os.pathsep.join(filter(None, [str(semaphore_test_pager.DIRECTORY),
                                                          os.environ.get("PYTHONPATH")]))}
# server and api: browser_helpers' module fixtures (with SERVER_ENV)


@pytest.fixture(scope="module")
def project(api, tmp_path_factory):
    pid, template_id = bash_template(api, tmp_path_factory.mktemp("repo") / "scripts", "hello.sh", "echo hello\n",
                                     project={"name": "Operations"}, template="Nightly backup")
    return pid, template_id


def _signed_in(page, server, path):
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(server.url + path)


def test_create_a_schedule_with_the_next_runs_preview_and_switch_it_off(desktop_page, server, api, project,
                                                                       artifact_dir):
    page, (pid, template_id) = desktop_page, project
    _signed_in(page, server, f"/project/{pid}/schedules/new")
    page.get_by_label("Name").fill("Early backup")
    page.get_by_label("Template").select_option(label="Nightly backup")
    cron = page.get_by_label("Cron expression")
    cron.fill("*/15 * * * *")
    page.locator("#cron-description").filter(has_text="every 15 minutes").wait_for()
    runs = page.locator("#preview-runs li")
    runs.nth(4).wait_for()
    assert runs.count() == 5 and "Europe/Berlin" in page.locator("#preview-zone").inner_text()
    first = runs.first.inner_text()

    cron.fill("61 * * * *")
    page.locator("#schedule-cron[aria-invalid=true]").wait_for()
    assert "out of range" in page.locator("#schedule-cron-help").inner_text()
    assert runs.count() == 0

    cron.fill("7 4 * * *")  # never a quarter hour: its first run differs from the one above at any time of day
    page.locator("#cron-description").filter(has_text="every day at 04:07").wait_for()
    runs.nth(4).wait_for()
    assert runs.first.inner_text() != first and "04:07" in runs.first.inner_text()
    assert page.locator("#schedule-cron[aria-invalid]").count() == 0
    screenshot(page, artifact_dir, "schedule-form", for_docs=True)
    page.get_by_role("button", name="Create schedule").click()
    page.wait_for_url(f"{server.url}/project/{pid}/schedules")

    status, schedules = api("GET", f"/api/project/{pid}/schedules")
    created = next(row for row in schedules if row["name"] == "Early backup")
    assert created["cron_format"] == "7 4 * * *" and created["template_id"] == template_id and created["active"]
    row = page.locator("#schedules tr", has_text="Early backup")
    assert "04:07" in row.locator("td.next-runs").inner_text()
    row.get_by_label(re.compile("Active")).uncheck()
    page.wait_for_load_state("load")
    page.locator("#schedules tr", has_text="Early backup").locator("td.next-runs", has_text="—").wait_for()
    assert api("GET", f"/api/project/{pid}/schedules/{created['id']}")[1]["active"] is False
    assert_ran_cleanly(page)


def test_an_integration_with_a_matcher_an_extracted_value_and_a_webhook_url(desktop_page, server, api, project,
                                                                              artifact_dir):
    page, (pid, _) = desktop_page, project
    _signed_in(page, server, f"/project/{pid}/integrations/new")
    page.get_by_label("Name", exact=True).fill("GitHub push")
    page.get_by_label("Template").select_option(label="Nightly backup")
    page.get_by_role("button", name="Create integration").click()
    page.wait_for_url(re.compile(rf"/project/{pid}/integrations/\d+$"))
    iid = int(page.url.rsplit("/", 1)[1])

    form = page.locator("#new-matcher-form")
    form.get_by_label("Name").fill("main branch")
    form.get_by_label("Match on").select_option("body")
    form.get_by_label("Body data type").select_option("json")
    form.get_by_label("Key (header or JSON path)").fill("ref")
    form.get_by_label("Value").fill("refs/heads/main")
    form.get_by_role("button", name="Add matcher").click()
    page.locator("#matchers td", has_text="main branch").first.wait_for()

    form = page.locator("#new-value-form")
    form.get_by_label("Name").fill("commit")
    form.get_by_label("Key (header or JSON path)").fill("after")
    form.get_by_label("Variable").fill("COMMIT")
    form.get_by_role("button", name="Add value").click()
    page.locator("#values td code", has_text="COMMIT").first.wait_for()

    page.locator("#matchers details summary").click()
    page.locator("#matchers details").get_by_label("Value").fill("refs/heads/release")
    page.get_by_role("button", name="Save matcher").click()
    page.locator("#matchers td", has_text="refs/heads/release").first.wait_for()

    page.get_by_role("button", name="New webhook URL").last.click()
    url = page.locator(".alias-list code").last
    url.wait_for()
    assert re.fullmatch(rf"{re.escape(server.url)}/api/integrations/[a-z0-9]{{16}}", url.inner_text())
    assert page.get_by_role("button", name="Copy").last.is_visible()
    screenshot(page, artifact_dir, "integration", for_docs=True)

    matchers = api("GET", f"/api/project/{pid}/integrations/{iid}/matchers")[1]
    assert [(m["match_type"], m["body_data_type"], m["key"], m["value"]) for m in matchers] == [
        ("body", "json", "ref", "refs/heads/release")]
    values = api("GET", f"/api/project/{pid}/integrations/{iid}/values")[1]
    assert [(v["value_source"], v["key"], v["variable"]) for v in values] == [("body", "after", "COMMIT")]
    aliases = api("GET", f"/api/project/{pid}/integrations/{iid}/aliases")[1]
    assert [alias["url"] for alias in aliases] == [url.inner_text()]
    assert_ran_cleanly(page)


def test_add_a_member_change_their_role_and_remove_them(desktop_page, server, api, project):
    page, (pid, _) = desktop_page, project
    user = api.created("/api/users", {"username": "rita", "name": "Rita", "email": "rita@example.test",
                                      "password": "rita's long password"})
    _signed_in(page, server, f"/project/{pid}/team")
    page.get_by_label("User").select_option(label="Rita (rita)")
    page.get_by_label("Role", exact=True).select_option("guest")
    page.get_by_role("button", name="Add to the team").click()
    role = page.get_by_label("Role of rita")
    role.wait_for()
    assert role.input_value() == "guest"
    role.select_option("manager")
    wait_until(page, "document.querySelector('select.member-role[data-saved=manager]') !== null")
    members = {m["username"]: m["role"] for m in api("GET", f"/api/project/{pid}/users")[1]}
    assert members["rita"] == "manager"

    page.locator(f"tr[data-user='{user['id']}']").get_by_role("button", name="Delete").click()
    page.locator("#confirm-delete").click()
    page.locator(f"tr[data-user='{user['id']}']").wait_for(state="detached")
    assert "rita" not in {m["username"] for m in api("GET", f"/api/project/{pid}/users")[1]}
    assert_ran_cleanly(page)


def test_change_the_project_settings(desktop_page, server, api, project):
    page, (pid, _) = desktop_page, project
    _signed_in(page, server, f"/project/{pid}/settings")
    page.get_by_label("Send alerts about this project's tasks").check()
    page.get_by_label("Telegram chat ID").fill("-100123")
    page.get_by_label("Pager routing key").fill("R-ops")  # declared by a third-party notifier
    page.get_by_label("Pager severity").select_option(label="Critical")
    page.get_by_label("Max parallel tasks").fill("3")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state("load")
    wait_until(page, "document.getElementById('project-max-parallel').defaultValue === '3'")
    stored = api("GET", f"/api/project/{pid}")[1]
    assert (stored["alert"], stored["alert_chat"], stored["max_parallel_tasks"], stored["name"]) == (
        True, "-100123", 3, "Operations")
    assert stored["notifier_settings"] == {"pager": {"routing_key": "R-ops", "severity": "critical"}}
    assert "telegram: not configured" in page.locator("#alert-channels").inner_text()
    assert "pager: on" in page.locator("#alert-channels").inner_text()
    assert page.get_by_label("Pager routing key").input_value() == "R-ops"  # the reloaded page shows it
    assert page.get_by_label("Pager severity").input_value() == "critical"

    page.get_by_label("Pager routing key").fill("")  # emptied: no longer stored
    page.get_by_role("button", name="Save settings").click()
    wait_until(page, "document.getElementById('notifier-pager-routing_key').defaultValue === ''")
    assert api("GET", f"/api/project/{pid}")[1]["notifier_settings"] == {"pager": {"severity": "critical"}}
    page.get_by_label("Pager routing key").fill("r" * 1001)  # refused, naming the field, which is marked
    page.get_by_role("button", name="Save settings").click()
    page.locator("#notifier-pager-routing_key[aria-invalid=true]").wait_for()
    assert page.locator("#settings-error").inner_text() == (
        "Notifier_settings.pager.routing_key: must be at most 1000 characters")
    assert_ran_cleanly(page)


def test_delete_a_project_after_confirming_its_name(desktop_page, server, api):
    pid = api.created("/api/projects", {"name": "Scratch"})["id"]
    page = desktop_page
    _signed_in(page, server, f"/project/{pid}/settings")
    page.get_by_role("button", name="Delete project").click()
    assert "Scratch" in page.locator("#confirm-title").inner_text()
    page.locator("#confirm-delete").click()
    page.wait_for_url(server.url + "/projects")
    assert api("GET", f"/api/project/{pid}")[0] == 404


def test_phone_settings_and_team_without_sideways_scrolling(phone_page, server, project):
    page, (pid, _) = phone_page, project
    _signed_in(page, server, f"/project/{pid}/settings")
    page.get_by_label("Max parallel tasks").wait_for()
    assert not scrolls_horizontally(page)
    page.goto(f"{server.url}/project/{pid}/team")
    page.locator("#members").wait_for()
    assert not scrolls_horizontally(page)
    assert_ran_cleanly(page)
