"""When the directory cannot answer, the login is a 503 that says why, in the API and in the log:
never a 500, never "invalid login or password", never a session."""

from __future__ import annotations

import socket
import time

import pytest
from semaphore_auth_ldap.testing import free_port
from sqlalchemy import func, select

from semaphore.db.models import LoginFailure

PASSWORD = "ann's password"


def refused(app, login="ann", password=PASSWORD):
    """POST /api/auth/login is a 503 without a cookie; its error message."""
    client = app.test_client()
    response = client.post("/api/auth/login", json={"auth": login, "password": password})
    assert response.status_code == 503, response.get_json()
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/user").status_code == 401
    return response.get_json()["error"]


def test_an_unreachable_server_is_a_503_naming_it_in_the_answer_and_the_log(ldap_app, caplog):
    port = free_port()  # nothing listens there
    app = ldap_app(SERVER=f"127.0.0.1:{port}")
    error = refused(app)
    assert error.startswith(f"cannot reach the LDAP server ldap://127.0.0.1:{port} (ldap_server)")
    assert f"ldap://127.0.0.1:{port}" in caplog.text and "ERROR" in caplog.text
    assert PASSWORD not in caplog.text + error and "root-secret" not in caplog.text + error
    with app.extensions["semaphore"].db.session() as db:  # the user did nothing wrong: not a failed login
        assert db.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_a_server_that_does_not_answer_is_a_503_after_ldap_timeout(ldap_app):
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app = ldap_app(SERVER=f"127.0.0.1:{silent.getsockname()[1]}", TIMEOUT="1")
        started = time.monotonic()
        error = refused(app)
    assert time.monotonic() - started < 10
    assert "cannot reach the LDAP server" in error


def test_a_refused_service_account_is_a_503_naming_ldap_binddn(ldap_app, caplog):
    error = refused(ldap_app(BIND_PASSWORD="not the root password"))
    assert "refused the service account 'cn=admin,dc=example,dc=test' (ldap_binddn / ldap_bindpassword)" in error
    assert "invalidCredentials" in error
    assert "not the root password" not in error + caplog.text


@pytest.mark.parametrize(("settings", "fragment"), [
    ({"SERVER": ""}, "ldap_server is not set"),
    ({"SEARCH_FILTER": "(uid=%s"}, "ldap_searchfilter gives an invalid LDAP filter"),
    ({"SEARCH_FILTER": "(uid=ann)"}, "ldap_searchfilter '(uid=ann)' has no %s for the login"),
    ({"SEARCH_DN": "ou=nowhere,dc=example,dc=test"}, "the search base 'ou=nowhere,dc=example,dc=test' does not exist"),
])
def test_a_configuration_the_server_cannot_serve_is_a_503_naming_the_setting(ldap_app, settings, fragment):
    assert fragment in refused(ldap_app(**settings))


def test_while_the_directory_is_down_local_accounts_still_log_in(ldap_app, caplog):
    """A local account is never taken over by a directory login, so the directory's outage cannot
    lock it out: its local password decides. Everybody else gets the 503."""
    from semaphore.plugin_testing import TEST_PASSWORD, create_user_row

    app = ldap_app(SERVER=f"127.0.0.1:{free_port()}")
    create_user_row(app, "carl", email="carl@example.test")
    client = app.test_client()
    assert client.post("/api/auth/login", json={"auth": "carl", "password": TEST_PASSWORD}).status_code == 204
    assert "'carl' is a local account, its local password decides" in caplog.text
    wrong = app.test_client().post("/api/auth/login", json={"auth": "Carl@example.test", "password": "wrong"})
    assert wrong.status_code == 401
    refused(app, "ann")
