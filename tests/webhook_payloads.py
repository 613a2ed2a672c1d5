"""Push webhooks as GitHub and GitLab send them (trimmed to the fields their documentation
describes for a push), and GitHub's signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

COMMIT_ID = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
COMMIT_MESSAGE = "Fix the deploy script"


def github_push(ref: str = "refs/heads/main", full_name: str = "octo-org/web-app") -> dict[str, Any]:
    """The shape of GitHub's ``push`` event."""
    author = {"name": "Mona Octocat", "email": "mona@example.test", "username": "octocat"}
    commit = {"id": COMMIT_ID, "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433", "distinct": True,
              "message": COMMIT_MESSAGE, "timestamp": "2026-12-01T10:00:00+00:00",
              "url": f"https://github.com/{full_name}/commit/{COMMIT_ID}", "author": author, "committer": author,
              "added": [], "removed": [], "modified": ["deploy.sh"]}
    return {
        "ref": ref, "before": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "after": COMMIT_ID,
        "created": False, "deleted": False, "forced": False, "base_ref": None,
        "compare": f"https://github.com/{full_name}/compare/0d1a26e67d8f...6dcb09b5b578",
        "commits": [commit], "head_commit": commit,
        "repository": {"id": 35129377, "name": full_name.split("/")[1], "full_name": full_name, "private": False,
                       "owner": {"name": full_name.split("/")[0], "login": full_name.split("/")[0]},
                       "html_url": f"https://github.com/{full_name}", "default_branch": "main", "size": 42,
                       "clone_url": f"https://github.com/{full_name}.git"},
        "pusher": {"name": "octocat", "email": "mona@example.test"},
        "sender": {"login": "octocat", "id": 583231, "type": "User"},
    }


def github_headers(body: bytes, secret: str | None, event: str = "push") -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/a1b2c3d",
               "X-GitHub-Event": event, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
               "X-GitHub-Hook-ID": "292430182"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = github_signature(secret, body)
    return headers


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def gitlab_push(ref: str = "refs/heads/main", path: str = "group/api-server") -> dict[str, Any]:
    """The shape of GitLab's ``Push Hook``."""
    author = {"name": "Jordi Mallach", "email": "jordi@example.test"}
    commit = {"id": COMMIT_ID, "message": COMMIT_MESSAGE, "title": COMMIT_MESSAGE,
              "timestamp": "2026-12-01T10:00:00+00:00", "url": f"https://gitlab.example.test/{path}/-/commit/{COMMIT_ID}",
              "author": author, "added": [], "modified": ["deploy.sh"], "removed": []}
    return {
        "object_kind": "push", "event_name": "push", "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
        "after": COMMIT_ID, "ref": ref, "ref_protected": True, "checkout_sha": COMMIT_ID, "user_id": 4,
        "user_name": "John Smith", "user_username": "jsmith", "user_email": "john@example.test", "project_id": 15,
        "project": {"id": 15, "name": path.split("/")[1], "path_with_namespace": path, "default_branch": "main",
                    "web_url": f"https://gitlab.example.test/{path}",
                    "git_http_url": f"https://gitlab.example.test/{path}.git"},
        "commits": [commit], "total_commits_count": 1,
        "repository": {"name": path.split("/")[1], "homepage": f"https://gitlab.example.test/{path}"},
    }


def gitlab_headers(token: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "GitLab/17.6.0", "X-Gitlab-Event": "Push Hook",
               "X-Gitlab-Instance": "https://gitlab.example.test"}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return headers


def encoded(payload: Any) -> bytes:
    return json.dumps(payload).encode()
