"""Numbers a database cannot hold, negative ones, and values of the wrong type in any field of any
write of the API that takes an id or a count answer 400 (or 404), never a 500."""

from __future__ import annotations

import re

from semaphore.testing import create_user_row, log_in

BIG = 10**20  # beyond every database's BIGINT
FIELDS = ("template_id", "inventory_id", "repository_id", "environment_id", "ssh_key_id", "become_key_id",
          "view_id", "build_template_id", "build_task_id", "max_parallel_tasks", "user_id", "integration_id",
          "vault_key_id", "auth_secret_id", "id", "project_id", "position", "task_id")
VALUES = (BIG, -BIG, "x", None, [], {})


def test_no_write_answers_500_to_a_bad_number(sqlite_app):
    create_user_row(sqlite_app, "root", admin=True)
    root = log_in(sqlite_app.test_client(), "root")
    project_id = root.post("/api/projects", json={"name": "Ops"}).get_json()["id"]
    failed, answered = [], set()
    for rule in sqlite_app.url_map.iter_rules():
        # Logging out, and changing the users themselves, would end the admin's session.
        if not rule.rule.startswith("/api/") or "logout" in rule.rule or rule.rule.startswith("/api/users"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda found: str(project_id) if found.group(1) == "project_id" else "1",
                      rule.rule)
        for method in {"POST", "PUT"} & set(rule.methods or ()):
            for field in FIELDS:
                for value in VALUES:
                    response = root.open(path, method=method, json={"name": "n", "role": "guest", field: value})
                    answered.add(response.status_code)
                    if response.status_code >= 500:
                        failed.append(f"{method} {path} {field}={value!r}: {response.status_code}")
    assert 400 in answered and failed == [], "\n".join(failed)
    refused = root.put(f"/api/project/{project_id}", json={"name": "Ops", "max_parallel_tasks": BIG})
    assert refused.status_code == 400 and refused.get_json()["field"] == "max_parallel_tasks"
