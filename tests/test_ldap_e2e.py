"""LDAP login over the real `semaphore server` process against a real slapd: a directory user
logs in with POST /api/auth/login and is an external user with the mapped name and e-mail; a group
makes a user admin; a wrong password is a 401; a stopped directory is a 503 that says so."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from process_helpers import ServerProcess

slapd_testing = pytest.importorskip("semaphore_auth_ldap.testing", reason="needs the auth_ldap plugin")
Group, Person, Slapd = slapd_testing.Group, slapd_testing.Person, slapd_testing.Slapd

PEOPLE = (Person("ann", "ann's password", "Ann Example", "ann@example.test"),
          Person("bob", "bob's password", "Bob Builder", "bob@example.test"),
          Person("admin", "directory password", "Directory Admin", "directory-admin@example.test"))
GROUPS = (Group("admins", ("ann",)),)


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    if not slapd_testing.slapd_installed():
        pytest.skip("needs slapd (apt-get install slapd ldap-utils)")
    server = Slapd(tmp_path_factory.mktemp("slapd"), PEOPLE, GROUPS).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(slapd, tmp_path_factory):
    env = {"SEMAPHORE_LDAP_ENABLE": "true", "SEMAPHORE_LDAP_SERVER": slapd.server,
           "SEMAPHORE_LDAP_STARTTLS": "true", "SEMAPHORE_LDAP_CA_FILE": str(slapd.certificates.ca_file),
           "SEMAPHORE_LDAP_BIND_DN": slapd_testing.ROOT_DN, "SEMAPHORE_LDAP_BIND_PASSWORD": slapd_testing.ROOT_PASSWORD,
           "SEMAPHORE_LDAP_SEARCH_DN": slapd_testing.PEOPLE, "SEMAPHORE_LDAP_SEARCH_FILTER": "(uid=%s)",
           "SEMAPHORE_LDAP_TIMEOUT": "3",
           "SEMAPHORE_LDAP_ROLE_MAPPINGS": json.dumps([{"group": "admins", "admin": True}])}
    process = ServerProcess(tmp_path_factory.mktemp("server"), env=env).start()
    yield process
    process.stop()


def request(server, method, path, body=None, cookie=""):
    """(status, parsed JSON body or None, the Set-Cookie header or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, raw, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), error.headers
    return status, json.loads(raw) if raw else None, headers.get("Set-Cookie")


def log_in(server, login, password):
    return request(server, "POST", "/api/auth/login", {"auth": login, "password": password})


def test_a_directory_user_logs_in_and_sees_the_mapped_user(server):
    status, _, set_cookie = log_in(server, "ann", "ann's password")
    assert status == 204 and set_cookie and set_cookie.startswith("semaphore_session=")
    status, me, _ = request(server, "GET", "/api/user", cookie=set_cookie.split(";", 1)[0])
    assert status == 200
    assert (me["username"], me["name"], me["email"], me["external"]) == (
        "ann", "Ann Example", "ann@example.test", True)
    assert me["admin"] is True  # ann is in the admins group


def test_a_user_outside_the_admin_group_is_no_admin(server):
    status, _, set_cookie = log_in(server, "bob", "bob's password")
    assert status == 204 and set_cookie
    status, me, _ = request(server, "GET", "/api/user", cookie=set_cookie.split(";", 1)[0])
    assert (status, me["username"], me["admin"], me["external"]) == (200, "bob", False, True)


def test_a_wrong_password_is_401_without_a_cookie(server):
    status, body, set_cookie = log_in(server, "ann", "not ann's password")
    assert (status, body["error"], set_cookie) == (401, "invalid login or password", None)


def test_a_directory_login_that_the_core_refuses_is_never_logged_as_a_login(server):
    """The first start made a local "admin"; the directory's "admin" does not take it over."""
    status, body, set_cookie = log_in(server, "admin", "directory password")
    assert (status, body["code"], set_cookie) == (403, "ACCOUNT_CONFLICT", None)
    assert "login: admin" not in server.stderr + server.stdout


def test_a_stopped_directory_is_a_503_that_says_so(server, slapd):
    admin_login, admin_password = server.printed_credentials() or ("", "")
    slapd.stop()
    try:
        status, body, set_cookie = log_in(server, "ann", "ann's password")
        # The local admin is not locked out by the directory's outage.
        assert admin_login and log_in(server, admin_login, admin_password)[0] == 204
    finally:
        slapd.run()
    assert status == 503 and set_cookie is None
    assert body["error"].startswith(f"cannot reach the LDAP server ldap://{slapd.server} (ldap_server)")
    log = server.stdout + server.stderr
    assert f"cannot reach the LDAP server ldap://{slapd.server}" in log
    assert "ann's password" not in log and slapd_testing.ROOT_PASSWORD not in log
    assert log_in(server, "ann", "ann's password")[0] == 204  # back as soon as the directory is
