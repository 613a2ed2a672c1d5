"""The servers page in a real browser against a real server: an admin sees the server process
(its node) online with its host, version and heartbeat, drains it (it runs nothing, so it soon
says it is drained) and resumes it."""

from __future__ import annotations

import time

from browser_helpers import assert_ran_cleanly, screenshot, sign_in
from playwright.sync_api import expect

from semaphore.version import __version__


def _node(api):
    status, listed = api("GET", "/api/nodes")
    assert status == 200 and len(listed) == 1, listed
    return listed[0]


def test_an_admin_drains_and_resumes_a_server_process(desktop_page, server, api, artifact_dir):
    page = desktop_page
    node = _node(api)
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(server.url + "/admin/nodes")
    row = page.locator(f'tr[data-node="{node["id"]}"]')
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == node["id"] and cells[1].startswith(node["host"]) and f"pid {node['pid']}" in cells[1]
    assert cells[2] == __version__ and cells[5] == "online" and cells[6] == "0"
    assert page.locator("#this-node code").inner_text() == node["id"]
    screenshot(page, artifact_dir, "admin-nodes", for_docs=True)

    row.get_by_role("button", name=f"Drain node {node['id']}").click()
    expect(row.get_by_role("button", name=f"Resume node {node['id']}")).to_be_visible(timeout=15_000)
    assert _node(api)["draining"] is True
    deadline = time.monotonic() + 30  # the node says it is drained with its next heartbeat (every 5 s)
    while _node(api)["drained"] is None:
        assert time.monotonic() < deadline, _node(api)
        time.sleep(0.2)
    page.reload()
    expect(row.locator(".node-status")).to_have_text("online drained", timeout=15_000)

    row.get_by_role("button", name=f"Resume node {node['id']}").click()
    expect(row.get_by_role("button", name=f"Drain node {node['id']}")).to_be_visible(timeout=15_000)
    resumed = _node(api)
    assert (resumed["draining"], resumed["drained"]) == (False, None)
    assert row.locator(".node-status").inner_text() == "online"
    assert_ran_cleanly(page)
