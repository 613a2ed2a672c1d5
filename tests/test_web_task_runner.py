"""The task page of a task waiting for a remote runner, in a real browser against a real server
with use_remote_runner on and real `semaphore runner start` processes: the page says why no runner
takes the task and follows the reason as runners come, then shows the runner that took it and
drops the reason, all without a reload; the template's page lists its runner tags."""

from __future__ import annotations

import pytest
from browser_helpers import assert_ran_cleanly, sign_in
from live_server import bash_template
from test_runner_dispatch_e2e import REMOTE, runners, start_runner  # noqa: F401  (runners: a fixture)

SERVER_ENV = REMOTE  # browser_helpers' module server
expect = pytest.importorskip("playwright.sync_api").expect


def test_a_waiting_tasks_page_follows_it_onto_the_runner_that_takes_it(desktop_page, server, api, tmp_path,
                                                                       runners):  # noqa: F811
    pid, template_id = bash_template(api, tmp_path / "scripts", "hello.sh", "echo hello from the runner\n",
                                     project={"name": "Remote"}, template="Render")
    status, template = api("GET", f"/api/project/{pid}/templates/{template_id}")
    assert status == 200, template
    status, answer = api("PUT", f"/api/project/{pid}/templates/{template_id}",
                         {**template, "runner_tags": ["gpu", "linux"], "runner_tags_match": "all"})
    assert status == 204, answer
    page = desktop_page
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(f"{server.url}/project/{pid}/templates/{template_id}")
    expect(page.locator("#template-runner-tags")).to_have_text("gpu, linux · a runner needs every one of them")

    task_id = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})["id"]
    page.goto(f"{server.url}/project/{pid}/tasks/{task_id}")
    page.locator("#task-page[data-ready='true']").wait_for()
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads
    reason = page.locator("#task-waiting-reason")
    expect(reason).to_have_text("No runner of this project and no global runner is online.")
    expect(page.locator("#task-runner-row")).to_be_hidden()

    start_runner(runners, tmp_path / "cpu-box", server.url, tags=["linux"])
    expect(reason).to_have_text("No online runner with the app 'bash' has every one of the tags gpu, linux.",
                                timeout=20_000)

    start_runner(runners, tmp_path / "gpu-box", server.url, tags=["gpu", "linux"])
    expect(page.locator("#task-runner")).to_have_text("gpu-box", timeout=30_000)
    expect(page.locator("#task-waiting-row")).to_be_hidden()
    expect(page.locator("#task-status")).to_have_text("success", timeout=60_000)
    expect(page.locator("#log")).to_contain_text("hello from the runner")
    expect(page.locator("#task-runner")).to_have_text("gpu-box")
    assert page.evaluate("() => window.sameDocument === true")
    assert_ran_cleanly(page)
