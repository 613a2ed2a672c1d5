"""Bad query arguments on any page (a page number that is no number or overflows the databases'
integers, an unknown status, view or app, a huge search) answer a page or a 404, never a 500."""

from __future__ import annotations

import re

from semaphore.testing import create_user_row, log_in

ARGUMENTS = ("page=abc", "page=-5", "page=0", "page=99999999999999999999", "page=9999999", "status=nope",
             "view=abc", "view=999", "q=%25%5F%5C", "q=" + "x" * 5000, "before=abc", "before=-1",
             "before=99999999999999999999", "app=nope", "app=", "t=abc")


def test_no_page_answers_500_to_bad_query_arguments(sqlite_app):
    create_user_row(sqlite_app, "root", admin=True)
    root = log_in(sqlite_app.test_client(), "root")
    project_id = root.post("/api/projects", json={"name": "Ops"}).get_json()["id"]
    failed, asked = [], 0
    for rule in sqlite_app.url_map.iter_rules():
        if not rule.endpoint.startswith("web.") or rule.endpoint == "web.static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda found: str(project_id) if found.group(1) == "project_id"
                      else "999999", rule.rule)
        for arguments in ("", *ARGUMENTS):
            response = root.get(f"{path}?{arguments}")
            asked += 1
            if response.status_code >= 500:
                failed.append(f"{path}?{arguments[:40]}: {response.status_code}")
    assert asked > 500 and failed == [], "\n".join(failed)
    listed = root.get(f"/project/{project_id}/history?page=99999999999999999999").get_data(as_text=True)
    assert "No older tasks." in listed
