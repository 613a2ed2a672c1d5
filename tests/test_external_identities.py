"""What the core does with an identity from LDAP or OpenID Connect: claim expressions, group role
mappings, and matching to (or creating) an external user without taking over a local account."""

from __future__ import annotations

import pytest
from account_helpers import db_session
from sqlalchemy import select

from semaphore.claim_expressions import evaluate
from semaphore.db.models import Project, ProjectUser, User
from semaphore.errors import ConfigError, Forbidden
from semaphore.interfaces import Identity
from semaphore.role_mapping_config import parse_role_mappings
from semaphore.services.login import user_for_identity
from semaphore.testing import create_user_row

# -- claim expressions --------------------------------------------------------------------------

CLAIMS = {"email": "", "preferred_username": "Ann", "sub": "1234", "groups": ["ops", "dev"],
          "address": {"country": "NZ"}}


@pytest.mark.parametrize(("expression", "value"), [
    ("preferred_username", "Ann"),
    ("email | preferred_username", "Ann"),
    ("email | {{ .preferred_username }}@example.test", "Ann@example.test"),
    ("{{.sub}}-{{ .preferred_username }}", "1234-Ann"),
    ("email | {{ .missing }}@example.test | sub", "1234"),
    ("groups", "ops"),
    ("address.country", "NZ"),
    ("email", None),
    ("missing | email", None),
])
def test_claim_expressions(expression, value):
    assert evaluate(expression, CLAIMS) == value


def test_an_empty_alternative_is_a_random_value():
    first, second = evaluate("|", CLAIMS), evaluate("email |", CLAIMS)
    assert first and second and first != second
    assert len(first) == 16 and first.isalnum() and first == first.lower()


# -- role mapping configuration -----------------------------------------------------------------


@pytest.mark.parametrize(("value", "message"), [
    ({"group": "x"}, "ldap_role_mappings: must be a JSON array of objects"),
    (["x"], "ldap_role_mappings[0]: must be a JSON object"),
    ([{"admin": True}], "ldap_role_mappings[0].group: required"),
    ([{"group": "g"}], "ldap_role_mappings[0]: grants nothing"),
    ([{"group": "g", "project_id": 1, "role": "boss"}], "ldap_role_mappings[0].role: must be one of"),
    ([{"group": "g", "role": "owner"}], "ldap_role_mappings[0].role: needs the project"),
    ([{"group": "g", "project": "a", "project_id": 1, "role": "owner"}], "give project_id or project, not both"),
    ([{"group": "g", "admin": "yes"}], "ldap_role_mappings[0].admin: must be true or false"),
    ([{"group": "g", "admin": True, "colour": "red"}], "unknown key 'colour'"),
])
def test_bad_role_mappings_name_the_entry_and_key(value, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_role_mappings(value, "ldap_role_mappings")


def test_the_server_refuses_to_start_with_bad_ldap_role_mappings(tmp_path):
    from semaphore.testing import make_config

    with pytest.raises(ConfigError, match=r"ldap_role_mappings\[0\].role"):
        make_config(tmp_path, {"SEMAPHORE_LDAP_ROLE_MAPPINGS": '[{"group": "g", "project_id": 1, "role": "chief"}]'})


# -- external users -----------------------------------------------------------------------------


def external(username="ann", email="ann@example.test", name="Ann", **fields):
    return Identity(username=username, email=email, name=name, external=True, **fields)


def test_a_new_identity_becomes_an_external_user_and_follows_directory_changes(app):
    with db_session(app) as db:
        user = user_for_identity(db, external(username="Ann"))
        assert (user.username, user.email, user.external, user.password, user.admin) == (
            "ann", "ann@example.test", True, None, False)
        user_id = user.id
    with db_session(app) as db:
        again = user_for_identity(db, external(email="ann.new@example.test", name="Ann Smith"))
        assert (again.id, again.email, again.name) == (user_id, "ann.new@example.test", "Ann Smith")


def test_a_local_account_is_never_taken_over(app):
    create_user_row(app, "bob", email="bob@example.test")
    for identity in (external(username="bob", email="other@example.test"),
                     external(username="robert", email="BOB@example.test")):
        with db_session(app) as db, pytest.raises(Forbidden) as refused:
            user_for_identity(db, identity)
        assert refused.value.extra["code"] == "ACCOUNT_CONFLICT" and "local account" in refused.value.message
    with db_session(app) as db:
        assert db.scalar(select(User).where(User.username == "bob")).external is False


def test_login_and_email_of_two_different_users_conflict(app):
    with db_session(app) as db:
        user_for_identity(db, external(username="ann", email="ann@example.test"))
        user_for_identity(db, external(username="cat", email="cat@example.test"))
    with db_session(app) as db, pytest.raises(Forbidden, match="two different users"):
        user_for_identity(db, external(username="ann", email="cat@example.test"))


# -- role mappings applied at login -------------------------------------------------------------

MAPPINGS = parse_role_mappings([
    {"group": "cn=admins,ou=groups,dc=example,dc=test", "admin": True},
    {"group": "ops", "project": "Infra", "role": "task_runner"},
    {"group": "leads", "project": "Infra", "role": "manager"},
    {"group": "web", "project_id": 0, "role": "owner"},  # project_id filled in by the test
], "mappings")


def with_web_project(mappings, web_id):
    return tuple(m if m.project_id is None else type(m)(m.group, m.admin, web_id, None, m.role) for m in mappings)


def roles(app, user_id):
    with db_session(app) as db:
        rows = db.execute(select(Project.name, ProjectUser.role).join(Project, Project.id == ProjectUser.project_id)
                          .where(ProjectUser.user_id == user_id)).all()
    return dict(rows)


def test_groups_grant_admin_and_project_roles_on_every_login(app):
    with db_session(app) as db:
        infra, web, other = Project(name="Infra"), Project(name="Web"), Project(name="Other")
        db.add_all([infra, web, other])
        db.flush()
        mappings = with_web_project(MAPPINGS, web.id)
        user = user_for_identity(db, external(groups=("CN=Admins,OU=Groups,DC=example,DC=test", "ops", "leads"),
                                              role_mappings=mappings))
        user_id, other_id = user.id, other.id
        db.add(ProjectUser(project_id=other_id, user_id=user_id, role="guest"))  # added by hand
    assert roles(app, user_id) == {"Infra": "manager", "Other": "guest"}  # the strongest role wins
    with db_session(app) as db:
        assert db.get(User, user_id).admin is True

    with db_session(app) as db:  # the directory changed: out of admins and leads, into web
        user_for_identity(db, external(groups=("ops", "web"), role_mappings=mappings))
    assert roles(app, user_id) == {"Infra": "task_runner", "Web": "owner", "Other": "guest"}
    with db_session(app) as db:
        assert db.get(User, user_id).admin is False

    with db_session(app) as db:  # in no mapped group: mapped memberships go, others stay
        user_for_identity(db, external(groups=(), role_mappings=mappings))
    assert roles(app, user_id) == {"Other": "guest"}


def test_without_mappings_roles_are_left_alone(app):
    with db_session(app) as db:
        user = user_for_identity(db, external())
        user.admin = True
    with db_session(app) as db:
        assert user_for_identity(db, external(groups=("anything",))).admin is True


def test_a_mapping_naming_an_ambiguous_or_unknown_project_is_skipped(app, caplog):
    with db_session(app) as db:
        db.add_all([Project(name="Twin"), Project(name="Twin")])
        mappings = parse_role_mappings([{"group": "g", "project": "Twin", "role": "owner"},
                                        {"group": "g", "project_id": 99999, "role": "owner"}], "m")
        user = user_for_identity(db, external(groups=("g",), role_mappings=mappings))
        user_id = user.id
    assert roles(app, user_id) == {}
    assert "more than one project named 'Twin'" in caplog.text and "no project with id 99999" in caplog.text
