"""Backup, restore and the demo project in a real browser against a real `semaphore server`: the
settings page downloads the backup, the projects page restores it into a new project (or says why
it cannot) and creates a demo project."""

from __future__ import annotations

import json

from browser_helpers import assert_ran_cleanly, sign_in
from live_server import bash_template

# server and api: browser_helpers' module fixtures


def test_download_a_backup_and_restore_it_as_a_new_project(desktop_page, server, api, tmp_path):
    page = desktop_page
    pid, _ = bash_template(api, tmp_path / "repo", "hello.sh", "echo hello\n", project={"name": "Nightly jobs"},
                           template="Say hello")
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{server.url}/project/{pid}/settings")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download backup").click()
    download = download_info.value
    assert download.suggested_filename == "Nightly jobs.backup.json"
    backup_file = tmp_path / "backup.json"
    download.save_as(backup_file)
    backup = json.loads(backup_file.read_text())
    assert backup["meta"]["name"] == "Nightly jobs" and [t["name"] for t in backup["templates"]] == ["Say hello"]

    page.goto(server.url + "/projects")
    not_json = tmp_path / "notes.json"
    not_json.write_text("these are notes")
    page.get_by_label("Backup file").set_input_files(not_json)
    page.get_by_role("button", name="Restore project").click()
    page.locator("#restore-error", has_text="notes.json is not a JSON file").wait_for()
    broken = tmp_path / "broken.json"
    backup["templates"][0]["repository"] = "Gone"
    broken.write_text(json.dumps(backup))
    page.get_by_label("Backup file").set_input_files(broken)
    page.get_by_role("button", name="Restore project").click()
    page.locator("#restore-error", has_text="templates[0].repository: no repository named 'Gone'").wait_for()

    page.get_by_label("Backup file").set_input_files(backup_file)
    page.get_by_role("button", name="Restore project").click()
    page.wait_for_url(lambda url: "/project/" in url and not url.endswith(f"/project/{pid}"))
    new_pid = int(page.url.rstrip("/").rsplit("/", 1)[1])
    status, templates = api("GET", f"/api/project/{new_pid}/templates")
    assert status == 200 and [t["name"] for t in templates] == ["Say hello"]
    assert [p["name"] for p in api("GET", "/api/projects")[1]].count("Nightly jobs") == 2
    assert_ran_cleanly(page)


def test_create_a_demo_project(desktop_page, server, api):
    page = desktop_page
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.get_by_label("Name").fill("Playground")
    page.get_by_label("Fill it with the demo").check()
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(lambda url: "/project/" in url)
    pid = int(page.url.rstrip("/").rsplit("/", 1)[1])
    status, templates = api("GET", f"/api/project/{pid}/templates")
    assert status == 200 and "Hello from Python" in [t["name"] for t in templates]
    assert_ran_cleanly(page)
