"""Webhooks end to end on the real `semaphore server` process with the real bash executor: GitHub
and GitLab push events over HTTP start a task that prints the values extracted from them; a
badly signed one starts nothing."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from live_server import ADMIN, Api, git_repository
from process_helpers import ServerProcess
from webhook_payloads import COMMIT_ID, encoded, github_headers, github_push, gitlab_headers, gitlab_push

SECRET = "It's a Secret to Everybody"
GITLAB_TOKEN = "glpat-webhook-token"
# Extra vars reach a bash script as NAME=value arguments.
DEPLOY_SH = 'for arg in "$@"; do echo "got $arg"; done\n'


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path, env=dict(ADMIN)).start()
    yield process
    process.stop()


def send_webhook(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def set_up(api: Api, tmp_path: Path) -> dict[str, Any]:
    """A project with a deploy script template, a GitHub integration (signature, push to main)
    and a GitLab one (token), each extracting the pushed commit; all over HTTP."""
    url = git_repository(tmp_path / "scripts", {"deploy.sh": DEPLOY_SH})
    pid = api.created("/api/projects", {"name": "Webhooks"})["id"]
    base = f"/api/project/{pid}"
    none_key = api.created(f"{base}/keys", {"name": "none", "type": "none", "project_id": pid})
    repository = api.created(f"{base}/repositories", {
        "name": "scripts", "git_url": url, "git_branch": "main", "ssh_key_id": none_key["id"], "project_id": pid})
    template = api.created(f"{base}/templates", {"name": "deploy", "app": "bash", "playbook": "deploy.sh",
                                                 "project_id": pid, "repository_id": repository["id"]})
    integrations = {}
    for name, password, auth in (("github", SECRET, {"auth_method": "github"}),
                                 ("gitlab", GITLAB_TOKEN, {"auth_method": "token", "auth_header": "X-Gitlab-Token"})):
        secret = api.created(f"{base}/keys", {"name": f"{name} secret", "type": "login_password", "project_id": pid,
                                              "login_password": {"password": password}})
        integration = api.created(f"{base}/integrations", {"name": name, "template_id": template["id"],
                                                           "auth_secret_id": secret["id"], **auth})
        integrations[name] = integration["id"]
        parts = f"{base}/integrations/{integration['id']}"
        status, alias = api("POST", f"{parts}/aliases")
        assert status == 201, alias
        integrations[f"{name}_url"] = alias["url"]
    github = f"{base}/integrations/{integrations['github']}"
    api.created(f"{github}/matchers", {"name": "pushes", "match_type": "header", "key": "X-GitHub-Event",
                                       "value": "push"})
    api.created(f"{github}/matchers", {"name": "main only", "match_type": "body", "body_data_type": "json",
                                       "key": "ref", "value": "refs/heads/main"})
    for variable, key in (("COMMIT", "head_commit.id"), ("REPOSITORY", "repository.full_name"),
                          ("AUTHOR", "commits.[0].author.username")):
        api.created(f"{github}/values", {"name": variable, "variable": variable, "value_source": "body",
                                         "body_data_type": "json", "key": key})
    gitlab = f"{base}/integrations/{integrations['gitlab']}"
    api.created(f"{gitlab}/matchers", {"name": "pushes", "match_type": "body", "body_data_type": "json",
                                       "key": "object_kind", "value": "push"})
    for variable, key in (("SHA", "checkout_sha"), ("PROJECT", "project.path_with_namespace")):
        api.created(f"{gitlab}/values", {"name": variable, "variable": variable, "value_source": "body",
                                         "body_data_type": "json", "key": key})
    return {"pid": pid, **integrations}


def task_ids(api: Api, pid: int) -> list[int]:
    status, tasks = api("GET", f"/api/project/{pid}/tasks")
    assert status == 200, tasks
    return sorted(task["id"] for task in tasks)


def test_github_and_gitlab_pushes_start_tasks_and_a_bad_signature_starts_nothing(server, tmp_path):
    api = Api.logged_in(server.url)
    setup = set_up(api, tmp_path)
    pid = setup["pid"]
    body = encoded(github_push())

    # Badly signed (another secret), unsigned, and signed for another body: 401, nothing starts.
    for headers in (github_headers(body, "guessed secret"), github_headers(body, None),
                    github_headers(encoded(github_push(ref="refs/heads/evil")), SECRET)):
        status, answer = send_webhook(setup["github_url"], body, headers)
        assert (status, answer) == (401, b'{"error":"webhook not authenticated"}\n')
    assert task_ids(api, pid) == []

    status, answer = send_webhook(setup["github_url"], body, github_headers(body, SECRET))
    assert status == 200, answer
    [task_id] = task_ids(api, pid)
    assert answer == b'{"task_ids":[%d]}\n' % task_id
    task = api.wait_for_status(pid, task_id, {"success", "error"})
    assert task["status"] == "success" and task["integration_id"] == setup["github"]
    output = api.output(pid, task_id)
    assert f"got COMMIT={COMMIT_ID}" in output
    assert "got REPOSITORY=octo-org/web-app" in output
    assert "got AUTHOR=octocat" in output

    # A signed push to another branch is authenticated but matches nothing.
    other_branch = encoded(github_push(ref="refs/heads/feature"))
    assert send_webhook(setup["github_url"], other_branch, github_headers(other_branch, SECRET)) == \
        (200, b'{"task_ids":[]}\n')

    gitlab_body = encoded(gitlab_push())
    assert send_webhook(setup["gitlab_url"], gitlab_body, gitlab_headers("wrong"))[0] == 401
    status, answer = send_webhook(setup["gitlab_url"], gitlab_body, gitlab_headers(GITLAB_TOKEN))
    assert status == 200, answer
    gitlab_task = task_ids(api, pid)[-1]
    assert api.wait_for_status(pid, gitlab_task, {"success", "error"})["status"] == "success"
    output = api.output(pid, gitlab_task)
    assert f"got SHA={COMMIT_ID}" in output and "got PROJECT=group/api-server" in output
    assert len(task_ids(api, pid)) == 2
