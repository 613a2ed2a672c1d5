"""Password logins against a real slapd: search, bind, external users, wrong passwords, logins the
directory does not know, and logins that try to change the search filter."""

from __future__ import annotations

import pytest
from ldap3 import Connection, Server
from semaphore_auth_ldap.testing import PEOPLE, ROOT_DN, ROOT_PASSWORD, person_dn
from sqlalchemy import func, select

from semaphore.db.models import LoginFailure
from semaphore.plugin_api.errors import Forbidden, Unauthorized
from semaphore.plugin_testing import TEST_PASSWORD, create_user_row


def log_in(client, login, password):
    return client.post("/api/auth/login", json={"auth": login, "password": password})


def test_a_directory_user_logs_in_and_becomes_an_external_user(ldap_app):
    client = ldap_app().test_client()
    response = log_in(client, "ann", "ann's password")
    assert response.status_code == 204, response.get_json()
    assert "semaphore_session=" in response.headers["Set-Cookie"]
    me = client.get("/api/user").get_json()
    assert (me["username"], me["name"], me["email"], me["external"], me["admin"]) == (
        "ann", "Ann Example", "ann@example.test", True, False)


def test_the_login_is_case_insensitive_and_the_next_login_updates_the_user(ldap_app):
    assert log_in(ldap_app().test_client(), "ANN", "ann's password").status_code == 204
    client = ldap_app(MAPPING_CN="{{ .cn }} (directory)").test_client()
    assert log_in(client, "ann", "ann's password").status_code == 204
    me = client.get("/api/user").get_json()
    assert (me["username"], me["name"]) == ("ann", "Ann Example (directory)")
    admin = ldap_app().test_client()
    create_user_row(admin.application, "root", admin=True)
    assert log_in(admin, "root", TEST_PASSWORD).status_code == 204
    assert [u["username"] for u in admin.get("/api/users").get_json()].count("ann") == 1


def test_the_external_user_has_no_local_password(ldap_app):
    app = ldap_app()
    assert log_in(app.test_client(), "bob", "bob's password").status_code == 204
    without_ldap = ldap_app(ENABLE="false").test_client()
    response = log_in(without_ldap, "bob", "bob's password")
    assert response.status_code == 401


def test_a_wrong_password_is_401_sets_no_cookie_and_counts_as_a_failed_login(ldap_app):
    app = ldap_app()
    client = app.test_client()
    response = log_in(client, "ann", "not ann's password")
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid login or password"
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/user").status_code == 401
    with app.extensions["semaphore"].db.session() as db:
        assert db.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.login == "ann")) == 1


def test_an_empty_password_never_reaches_the_directory(authenticate):
    # An LDAP simple bind with a DN and no password is an anonymous bind, which slapd accepts.
    assert authenticate("ann", "") is None


def test_a_login_the_directory_does_not_know_falls_through_to_the_local_password(ldap_app, authenticate):
    assert authenticate("carl", TEST_PASSWORD) is None
    app = ldap_app()
    create_user_row(app, "carl")
    client = app.test_client()
    assert log_in(client, "carl", TEST_PASSWORD).status_code == 204
    assert client.get("/api/user").get_json()["external"] is False


def test_a_directory_login_does_not_take_over_a_local_account(ldap_app):
    app = ldap_app()
    create_user_row(app, "lou", email="lou@example.test")
    response = log_in(app.test_client(), "lou", "lou's password")
    assert response.status_code == 403
    assert response.get_json()["code"] == "ACCOUNT_CONFLICT"


@pytest.mark.parametrize("login", ["*", "ann)(uid=*", "*)(|(uid=*", "ann)(|(objectClass=*", "an*", "\\2a"])
def test_a_login_cannot_change_the_search_filter(authenticate, slapd, login):
    assert authenticate(login, "ann's password") is None
    assert authenticate(login, "ann's password", SEARCH_FILTER="(&(objectClass=inetOrgPerson)(uid=%s))") is None


def test_a_login_with_filter_characters_is_found_as_typed(authenticate):
    identity = authenticate("o(neil)", "o(neil)'s password")
    assert (identity.username, identity.name) == ("o(neil)", "Pat O'Neil")


def test_the_unescaped_injection_would_have_found_everybody(slapd):
    """What the escaping prevents: pasted into the filter as typed, the login matches every entry."""
    connection = Connection(Server("127.0.0.1", port=slapd.port), ROOT_DN, ROOT_PASSWORD, auto_bind=True)
    try:
        connection.search(PEOPLE, "(uid=%s)".replace("%s", "*"), attributes=["uid"])
        assert len(connection.entries) > 1
    finally:
        connection.unbind()


def test_a_filter_with_the_login_twice_and_a_login_by_email(authenticate, ldap_app):
    identity = authenticate("ann@example.test", "ann's password", SEARCH_FILTER="(|(uid=%s)(mail=%s))")
    assert identity is not None and identity.username == "ann"
    client = ldap_app(SEARCH_FILTER="(|(uid=%s)(mail=%s))").test_client()
    assert log_in(client, "ann@example.test", "ann's password").status_code == 204
    assert client.get("/api/user").get_json()["username"] == "ann"


def test_a_login_that_matches_several_entries_is_refused_and_names_the_filter(ldap_app, caplog):
    response = log_in(ldap_app(SEARCH_FILTER="(sn=%s)").test_client(), "example", "ann's password")
    assert response.status_code == 403
    assert response.get_json()["code"] == "LDAP_AMBIGUOUS"
    assert "ldap_searchfilter" in response.get_json()["error"]
    assert "'(sn=%s)' finds more than one entry" in caplog.text


def test_the_search_base_limits_who_is_found(authenticate):
    assert authenticate("ann", "ann's password", SEARCH_DN="ou=groups,dc=example,dc=test") is None


def test_the_dn_mapping_is_what_the_user_binds_as(authenticate):
    built = "uid={{ .uid }},ou=people,dc=example,dc=test"
    identity = authenticate("ann", "ann's password", MAPPING_DN=built)
    assert identity is not None and identity.username == "ann"
    with pytest.raises(Unauthorized, match="invalid login or password"):
        authenticate("ann", "ann's password", MAPPING_DN="uid={{ .uid }}-elsewhere,ou=people,dc=example,dc=test")


def test_a_missing_email_is_a_clear_error_not_a_wrong_password(ldap_app):
    response = log_in(ldap_app().test_client(), "nomail", "nomail's password")
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == "LDAP_MAPPING"
    assert "ldap_mappings.mail" in body["error"] and person_dn("nomail") in body["error"]


def test_a_missing_email_is_only_reported_after_the_password_was_checked(authenticate):
    with pytest.raises(Unauthorized, match="invalid login or password"):
        authenticate("nomail", "wrong")
    with pytest.raises(Forbidden, match="ldap_mappings.mail"):
        authenticate("nomail", "nomail's password")


def test_with_password_login_disabled_directory_users_still_log_in(ldap_app):
    app = ldap_app({"SEMAPHORE_PASSWORD_LOGIN_DISABLED": "true"})
    create_user_row(app, "root", admin=True)
    client = app.test_client()
    assert client.get("/api/auth/login").get_json()["login_with_password"] is True  # the form serves LDAP
    assert log_in(client, "ann", "ann's password").status_code == 204
    local = app.test_client()
    assert log_in(local, "root", TEST_PASSWORD).status_code == 401
    assert local.get_cookie("semaphore_session") is None


def test_a_directory_user_with_totp_needs_the_code_too(ldap_app):
    import pyotp

    app = ldap_app({"SEMAPHORE_TOTP_ENABLED": "true"})
    client = app.test_client()
    assert log_in(client, "ann", "ann's password").status_code == 204
    user_id = client.get("/api/user").get_json()["id"]
    enrolment = client.post(f"/api/users/{user_id}/2fas/totp").get_json()
    totp = pyotp.TOTP(enrolment["secret"])
    confirm = client.post(f"/api/users/{user_id}/2fas/totp/{enrolment['id']}/confirm", json={"passcode": totp.now()})
    assert confirm.status_code == 200

    again = app.test_client()
    assert log_in(again, "ann", "ann's password").status_code == 204
    assert again.get("/api/user").get_json()["error"] == "TOTP_REQUIRED"
