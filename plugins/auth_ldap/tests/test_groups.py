"""ldap_role_mappings: directory groups grant admin or a role in a project, on every login; the
groups come from the user's memberOf (slapd's memberof overlay) or from a group search."""

from __future__ import annotations

import pytest
from semaphore_auth_ldap.testing import GROUPS

from semaphore.db.models import Project

DEVELOPERS_DN = f"cn=developers,{GROUPS}"


@pytest.fixture(params=["memberOf", "group search"])
def group_source(request):
    if request.param == "memberOf":
        return {}
    # No memberOf to fall back on: the groups can only come from the search.
    return {"GROUP_SEARCH_DN": GROUPS, "GROUP_SEARCH_FILTER": "(&(objectClass=groupOfNames)(member=%s))",
            "MAPPING_GROUPS": "noSuchAttribute"}


@pytest.fixture
def projects(ldap_app):
    with ldap_app().extensions["semaphore"].db.session() as db:
        demo, ops = Project(name="Demo"), Project(name="Ops")
        db.add_all([demo, ops])
        db.flush()
        return {"Demo": demo.id, "Ops": ops.id}


def role_mappings(projects, admin_group="admins"):
    return [{"group": admin_group, "admin": True},
            {"group": DEVELOPERS_DN, "project": "Demo", "role": "task_runner"},
            {"group": "operators", "project_id": projects["Ops"], "role": "manager"}]


def logged_in(app, login):
    client = app.test_client()
    response = client.post("/api/auth/login", json={"auth": login, "password": f"{login}'s password"})
    assert response.status_code == 204, response.get_json()
    return client


def roles(client, projects):
    """The admin flag and each project's role as the user sees them; None: not a member."""
    found = {}
    for name, project_id in projects.items():
        response = client.get(f"/api/project/{project_id}/role")
        found[name] = response.get_json()["role"] if response.status_code == 200 else None
    return client.get("/api/user").get_json()["admin"], found


def test_groups_grant_admin_and_project_roles(ldap_app, projects, group_source):
    app = ldap_app(ROLE_MAPPINGS=role_mappings(projects), **group_source)
    ann, bob, eve = (logged_in(app, login) for login in ("ann", "bob", "eve"))
    # ann is an admin: an admin sees every project as owner, so her own memberships are read below.
    assert roles(ann, projects)[0] is True
    assert roles(bob, projects) == (False, {"Demo": "task_runner", "Ops": "manager"})
    assert roles(eve, projects) == (False, {"Demo": None, "Ops": None})
    members = ann.get(f"/api/project/{projects['Demo']}/users").get_json()
    assert {(m["username"], m["role"]) for m in members} == {("ann", "task_runner"), ("bob", "task_runner")}


def test_a_user_who_leaves_the_group_loses_what_it_granted_at_the_next_login(ldap_app, projects, group_source):
    assert roles(logged_in(ldap_app(ROLE_MAPPINGS=role_mappings(projects), **group_source), "ann"), projects)[0]
    app = ldap_app(ROLE_MAPPINGS=role_mappings(projects, admin_group="operators"), **group_source)
    assert roles(logged_in(app, "ann"), projects) == (False, {"Demo": "task_runner", "Ops": None})


def test_the_identity_names_each_group_by_dn_and_by_cn(authenticate, projects, group_source):
    identity = authenticate("bob", "bob's password", ROLE_MAPPINGS=role_mappings(projects), **group_source)
    assert set(identity.groups) == {DEVELOPERS_DN, "developers", f"cn=operators,{GROUPS}", "operators"}
    assert [m.group for m in identity.role_mappings] == ["admins", DEVELOPERS_DN, "operators"]


def test_without_role_mappings_no_groups_are_read_and_roles_stay(authenticate):
    identity = authenticate("bob", "bob's password")
    assert (identity.groups, identity.role_mappings) == ((), None)


def test_the_group_search_gets_the_user_dn_escaped(authenticate, projects):
    """Unescaped, ``(member=uid=o(neil),...)`` would be an invalid filter."""
    identity = authenticate("o(neil)", "o(neil)'s password", ROLE_MAPPINGS=role_mappings(projects),
                            GROUP_SEARCH_DN=GROUPS, GROUP_SEARCH_FILTER="(member=%s)")
    assert set(identity.groups) == {f"cn=writers,{GROUPS}", "writers"}
