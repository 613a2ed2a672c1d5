"""Login, sessions and API tokens over the API, on every database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from account_helpers import create_project, db_session, events, user_client
from sqlalchemy import func, select, update

from semaphore.db.models import LoginFailure, Project, Session
from semaphore.db.types import utcnow
from semaphore.testing import TEST_PASSWORD, create_user_row, log_in, make_config

INVALID = {"error": "invalid login or password"}


def login(client, auth, password=TEST_PASSWORD, **kwargs):
    return client.post("/api/auth/login", json={"auth": auth, "password": password}, **kwargs)


def session_cookie(client):
    cookie = client.get_cookie("semaphore_session")
    assert cookie is not None
    return cookie.value


def client_with_cookie(app, value):
    fresh = app.test_client()
    fresh.set_cookie("semaphore_session", value)
    return fresh


def sessions_of(app, user_id):
    with db_session(app) as db:
        return list(db.scalars(select(Session).where(Session.user_id == user_id).order_by(Session.id)))


# -- logging in ---------------------------------------------------------------------------------


def test_login_by_username_or_email_ignores_case(app, admin_client):
    response = admin_client.post("/api/users", json={"username": "Alice", "name": "Alice A",
                                                     "email": "Alice@Example.TEST", "password": TEST_PASSWORD})
    assert response.status_code == 201
    for auth in ("alice", "ALICE", "alice@example.test", "ALICE@example.Test", "  alice  "):
        client = app.test_client()
        assert login(client, auth).status_code == 204, auth
        me = client.get("/api/user")
        assert me.status_code == 200 and me.get_json()["username"] == "alice"


def test_failed_logins_all_look_the_same(app, admin_client):
    create_user_row(app, "bob")
    response = admin_client.post("/api/users", json={"username": "ext", "email": "ext@example.test", "external": True})
    assert response.status_code == 201
    client = app.test_client()
    for auth, password in (("bob", "wrong password"), ("nobody", TEST_PASSWORD), ("ext", TEST_PASSWORD), ("ext", "")):
        response = login(client, auth, password)
        if password == "":  # an empty password is bad input, not a failed login
            assert response.status_code == 400 and response.get_json()["field"] == "password"
            continue
        assert response.status_code == 401, auth
        assert response.get_json() == INVALID
        assert client.get_cookie("semaphore_session") is None


def test_login_requires_both_fields(sqlite_app):
    client = sqlite_app.test_client()
    assert client.post("/api/auth/login", json={"password": "x"}).get_json()["field"] == "auth"
    assert client.post("/api/auth/login", json={"auth": "x"}).get_json()["field"] == "password"
    response = client.post("/api/auth/login", data="not json", content_type="application/json")
    assert response.status_code == 400


def test_user_endpoint_reports_can_create_project(app, admin_client):
    assert admin_client.get("/api/user").get_json()["can_create_project"] is True
    alice, _ = user_client(app, "alice")
    me = alice.get("/api/user").get_json()
    assert me["can_create_project"] is False
    assert "password" not in me and set(me) >= {"id", "username", "name", "email", "admin", "external", "alert"}


# -- rate limiting ------------------------------------------------------------------------------


ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def from_address(app, address, **headers):
    """A test client whose requests come from ``address`` (the TCP peer), with extra headers."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})
    return client


def let_time_pass(app, seconds):
    """Move every recorded failure ``seconds`` into the past (as if that long had gone by)."""
    with db_session(app) as db:
        for failure in db.scalars(select(LoginFailure)):
            failure.created -= timedelta(seconds=seconds)


def test_an_attacker_slows_only_their_own_address_not_the_owner(app):
    """Many wrong passwords for alice (by login and by e-mail alike) from one address: that address
    waits longer and longer (429 with Retry-After, even with the right password), while alice on
    another address logs in at once, and so does bob on the attacker's address."""
    create_user_row(app, "alice")
    create_user_row(app, "bob")
    attacker = from_address(app, ATTACKER)
    for attempt in range(5):
        assert login(attacker, "alice" if attempt % 2 else "alice@example.test", "guess").status_code == 401
    refused = login(attacker, "alice")
    assert refused.status_code == 429 and "too many" in refused.get_json()["error"]
    assert 0 < int(refused.headers["Retry-After"]) <= 1
    assert attacker.get_cookie("semaphore_session") is None
    for _ in range(30):  # the attacker keeps going whenever allowed
        let_time_pass(app, 15 * 60)
        assert login(attacker, "ALICE", "guess").status_code == 401
    assert login(attacker, "alice").status_code == 429

    owner = from_address(app, OWNER)
    assert login(owner, "alice").status_code == 204
    assert login(attacker, "bob").status_code == 204
    assert login(attacker, "alice").status_code == 429  # the owner's login did not help the attacker


def test_the_wait_doubles_after_each_failure_up_to_fifteen_minutes(app):
    create_user_row(app, "alice")
    attacker = from_address(app, ATTACKER)
    for _ in range(5):
        assert login(attacker, "alice", "guess").status_code == 401
    waits = []
    for _ in range(12):
        response = login(attacker, "alice", "guess")
        assert response.status_code == 429, response.get_json()
        waits.append(int(response.headers["Retry-After"]))
        let_time_pass(app, waits[-1])
        assert login(attacker, "alice", "guess").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_a_success_forgets_the_failures_of_its_address(sqlite_app):
    app = sqlite_app
    create_user_row(app, "alice")
    client = from_address(app, OWNER)
    for _ in range(4):
        assert login(client, "alice", "guess").status_code == 401
    assert login(client, "alice").status_code == 204
    for _ in range(5):
        assert login(client, "alice", "guess").status_code == 401
    assert login(client, "alice").status_code == 429
    let_time_pass(app, 1)
    assert login(client, "alice").status_code == 204
    for _ in range(5):
        assert login(client, "alice", "guess").status_code == 401


def test_failures_are_forgotten_after_a_day(sqlite_app):
    app = sqlite_app
    create_user_row(app, "alice")
    client = from_address(app, ATTACKER)
    for _ in range(5):
        login(client, "alice", "guess")
    assert login(client, "alice").status_code == 429
    let_time_pass(app, 24 * 3600 + 1)
    for _ in range(5):
        assert login(client, "alice", "guess").status_code == 401  # free again
    with db_session(app) as db:
        assert db.scalar(select(func.count()).select_from(LoginFailure)) == 5  # the old ones are gone


def test_spraying_many_accounts_from_one_address_locks_out_nobody_else_there(sqlite_app):
    app = sqlite_app
    create_user_row(app, "alice")
    attacker = from_address(app, ATTACKER)
    for n in range(60):
        assert login(attacker, f"user{n}", "guess").status_code == 401
    assert login(from_address(app, ATTACKER), "alice").status_code == 204


@pytest.fixture
def proxied_app(database_env, tmp_path):
    """Behind a load balancer at 10.0.0.2 and an edge proxy in 192.168.50.0/24."""
    from semaphore.app import create_app

    config = make_config(tmp_path, {**database_env, "SEMAPHORE_TRUSTED_PROXIES": "10.0.0.2, 192.168.50.0/24"})
    application = create_app(config, entry_points=False)
    yield application
    application.extensions["semaphore"].db.dispose()


def test_behind_trusted_proxies_the_forwarded_client_is_throttled(proxied_app):
    app = proxied_app
    user_id = create_user_row(app, "alice")
    # the attacker writes a fake first hop; the proxies append what they saw
    attacker = from_address(app, "10.0.0.2", x_forwarded_for=f"{OWNER}, {ATTACKER}, 192.168.50.9")
    for _ in range(5):
        assert login(attacker, "alice", "guess").status_code == 401
    assert login(attacker, "alice").status_code == 429
    owner = from_address(app, "10.0.0.2", x_forwarded_for=f"{OWNER}, 192.168.50.9")
    assert login(owner, "alice").status_code == 204
    with db_session(app) as db:
        assert {row.ip for row in db.scalars(select(LoginFailure))} == {ATTACKER}
    assert [s.ip for s in sessions_of(app, user_id)] == [OWNER]


def spoof_forwarded_for(app):
    """A client that is no trusted proxy makes up a new X-Forwarded-For for every guess: it is
    throttled by its own address all the same."""
    create_user_row(app, "alice")
    for n in range(5):
        assert login(from_address(app, ATTACKER, x_forwarded_for=f"192.0.2.{n}"), "alice", "guess").status_code == 401
    assert login(from_address(app, ATTACKER, x_forwarded_for=OWNER), "alice").status_code == 429
    with db_session(app) as db:
        assert {row.ip for row in db.scalars(select(LoginFailure))} == {ATTACKER}


def test_forwarded_for_from_an_untrusted_peer_is_ignored(proxied_app):
    spoof_forwarded_for(proxied_app)


def test_forwarded_for_is_ignored_without_trusted_proxies(app):
    spoof_forwarded_for(app)


# -- sessions -----------------------------------------------------------------------------------


def set_cookies(response):
    """name -> the whole Set-Cookie line, for every cookie the response sets."""
    return {line.split("=", 1)[0]: line for line in response.headers.getlist("Set-Cookie")}


def test_session_cookie_flags(app):
    """The session is HttpOnly (set first, for scripts that keep only the first Set-Cookie); the
    ``semaphore`` cookie beside it, which clients read to tell whether they are signed in, carries
    nothing secret."""
    create_user_row(app, "alice")
    client = app.test_client()
    response = login(client, "alice")
    assert response.headers["Set-Cookie"].startswith("semaphore_session=")
    cookies = set_cookies(response)
    assert set(cookies) == {"semaphore_session", "semaphore"}
    session, signed_in = cookies["semaphore_session"], cookies["semaphore"]
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
    assert signed_in.startswith("semaphore=1;") and "HttpOnly" not in signed_in
    assert "SameSite=Lax" in signed_in and "Path=/" in signed_in
    assert "Secure" not in session + signed_in  # plain http here
    secure = set_cookies(login(app.test_client(), "alice", base_url="https://localhost"))
    assert all("Secure" in line for line in secure.values())


def test_the_signed_in_cookie_is_no_credential(app):
    create_user_row(app, "alice")
    client = app.test_client()
    login(client, "alice")
    only_marker = app.test_client()
    only_marker.set_cookie("semaphore", client.get_cookie("semaphore").value)
    assert only_marker.get("/api/user").status_code == 401


def test_both_cookies_go_when_the_session_does(app):
    """Logout clears both; so does any request whose session cookie no longer authenticates (ended
    elsewhere, idle, forged), and one that carries the signed-in cookie without a session: a client
    that trusts ``semaphore=`` never believes in a session that is gone."""
    client, user_id = user_client(app, "alice")
    assert set(set_cookies(client.post("/api/auth/logout"))) == {"semaphore_session", "semaphore"}
    assert client.get_cookie("semaphore") is None and client.get_cookie("semaphore_session") is None

    login(client, "alice")
    with db_session(app) as db:  # the session ends on the server (another tab logged out, or it idled)
        db.execute(update(Session).where(Session.user_id == user_id).values(expired=True))
    assert client.get("/api/user").status_code == 401
    assert client.get_cookie("semaphore") is None and client.get_cookie("semaphore_session") is None

    stray = app.test_client()
    stray.set_cookie("semaphore", "1")
    assert stray.get("/api/ping").status_code == 200
    assert stray.get_cookie("semaphore") is None
    forged = client_with_cookie(app, "forged")
    forged.set_cookie("semaphore", "1")
    assert forged.get("/api/user").status_code == 401
    assert forged.get_cookie("semaphore") is None and forged.get_cookie("semaphore_session") is None

    login(client, "alice")  # a working session keeps both
    assert client.get("/api/user").status_code == 200
    assert client.get_cookie("semaphore").value == "1" and client.get_cookie("semaphore_session") is not None


def test_logout_ends_the_session_on_the_server(app):
    client, user_id = user_client(app, "alice")
    stolen = session_cookie(client)
    response = client.post("/api/auth/logout")
    assert response.status_code == 204
    assert client.get_cookie("semaphore_session") is None
    replay = client_with_cookie(app, stolen)
    response = replay.get("/api/user")
    assert response.status_code == 401 and response.get_json() == {"error": "authentication required"}
    assert [s.expired for s in sessions_of(app, user_id)] == [True]


def test_logout_without_a_session_is_harmless(sqlite_app):
    assert sqlite_app.test_client().post("/api/auth/logout").status_code == 204


def test_forged_cookie_is_refused(app):
    client, _ = user_client(app, "alice")
    value = session_cookie(client)
    assert client_with_cookie(app, value[:-2] + ("AA" if not value.endswith("AA") else "BB")).get(
        "/api/user").status_code == 401
    assert client_with_cookie(app, "garbage").get("/api/user").status_code == 401


def test_idle_session_expires(app):
    client, user_id = user_client(app, "alice")
    with db_session(app) as db:
        db.execute(update(Session).where(Session.user_id == user_id).values(last_active=utcnow() - timedelta(days=6)))
    assert client.get("/api/user").status_code == 200  # 6 days idle: still valid, and touched
    assert sessions_of(app, user_id)[0].last_active > utcnow() - timedelta(minutes=5)
    with db_session(app) as db:
        db.execute(update(Session).where(Session.user_id == user_id).values(last_active=utcnow() - timedelta(days=8)))
    response = client.get("/api/user")
    assert response.status_code == 401
    assert [s.expired for s in sessions_of(app, user_id)] == [True]
    # and it stays expired, even after the clock is turned back
    with db_session(app) as db:
        db.execute(update(Session).where(Session.user_id == user_id).values(last_active=utcnow()))
    assert client.get("/api/user").status_code == 401


def bearer(app, token):
    return app.test_client().get("/api/user", headers={"Authorization": f"Bearer {token}"}).status_code


def test_password_change_ends_the_other_sessions_but_keeps_api_tokens(app):
    """As docs/authentication.md says: the session that changed the password stays, the user's
    other sessions end, and API tokens keep working (expire them one by one)."""
    here, user_id = user_client(app, "alice")
    other = log_in(app.test_client(), "alice")
    token = here.post("/api/user/tokens").get_json()["id"]
    response = here.post(f"/api/users/{user_id}/password",
                         json={"current_password": TEST_PASSWORD, "password": "a new password"})
    assert response.status_code == 204
    assert here.get("/api/user").status_code == 200
    assert other.get("/api/user").status_code == 401
    assert bearer(app, token) == 200
    assert login(app.test_client(), "alice").status_code == 401
    assert login(app.test_client(), "alice", "a new password").status_code == 204
    assert events(app, object_type="user", object_id=user_id, action="update")


def test_password_change_through_user_update_ends_the_other_sessions(app):
    here, user_id = user_client(app, "alice")
    other = log_in(app.test_client(), "alice")
    token = here.post("/api/user/tokens").get_json()["id"]
    response = here.put(f"/api/users/{user_id}", json={"password": "another password", "name": "Alice",
                                                       "current_password": TEST_PASSWORD})
    assert response.status_code == 204
    assert here.get("/api/user").status_code == 200
    assert other.get("/api/user").status_code == 401
    assert bearer(app, token) == 200


def test_admin_resetting_a_password_ends_all_sessions_of_that_user_but_not_their_tokens(app, admin_client):
    alice, user_id = user_client(app, "alice")
    token = alice.post("/api/user/tokens").get_json()["id"]
    assert admin_client.post(f"/api/users/{user_id}/password", json={"password": "reset by admin"}).status_code == 204
    assert alice.get("/api/user").status_code == 401
    assert admin_client.get("/api/user").status_code == 200
    assert bearer(app, token) == 200


# -- API tokens ---------------------------------------------------------------------------------


def test_token_lifecycle(app):
    client, user_id = user_client(app, "alice")
    response = client.post("/api/user/tokens")
    assert response.status_code == 201
    first = response.get_json()
    token = first["id"]
    assert len(token) == 44 and first["expired"] is False and first["user_id"] == user_id
    second = client.post("/api/user/tokens").get_json()["id"]

    listed = client.get("/api/user/tokens")
    assert listed.status_code == 200
    ids = [row["id"] for row in listed.get_json()]
    assert len(ids) == 2 and token not in ids and second not in ids
    assert token not in listed.get_data(as_text=True) and second not in listed.get_data(as_text=True)

    bearer = app.test_client()
    me = bearer.get("/api/user", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["id"] == user_id
    assert bearer.get("/api/user", headers={"Authorization": f"bearer {second}"}).status_code == 200

    # expire the first by the token itself ...
    assert client.delete(f"/api/user/tokens/{token}").status_code == 204
    response = bearer.get("/api/user", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.get_json() == {"error": "authentication required"}
    assert bearer.get("/api/user", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    # ... and the second by its listed id
    [second_id] = [row["id"] for row in client.get("/api/user/tokens").get_json() if not row["expired"]]
    assert client.delete(f"/api/user/tokens/{second_id}").status_code == 204
    assert bearer.get("/api/user", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    listed = client.get("/api/user/tokens").get_json()
    assert len(listed) == 2 and all(row["expired"] for row in listed)  # expired tokens stay listed
    assert len(events(app, object_type="user", object_id=user_id, action="create")) == 2
    assert len(events(app, object_type="user", object_id=user_id, action="delete")) == 2


def test_malformed_authorization_is_401(app):
    client, _ = user_client(app, "alice")  # even with a valid cookie, a bad header is not ignored
    for header in ("Token abc", "Bearer", "Bearer   ", "Basic YWxpY2U6cGFzcw==", "abc"):
        response = client.get("/api/user", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.is_json and "error" in response.get_json()
    response = client.get("/api/user", headers={"Authorization": "Bearer " + "a" * 44})  # well-formed, unknown
    assert response.status_code == 401 and response.get_json() == {"error": "authentication required"}


def test_someone_elses_token_cannot_be_expired(app):
    alice, _ = user_client(app, "alice")
    bob, _ = user_client(app, "bob")
    token = alice.post("/api/user/tokens").get_json()["id"]
    listed_id = alice.get("/api/user/tokens").get_json()[0]["id"]
    for value in (token, listed_id, "no-such-token"):
        response = bob.delete(f"/api/user/tokens/{value}")
        assert response.status_code == 404 and "error" in response.get_json()
    assert app.test_client().get("/api/user", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_tokens_of_a_deleted_user_stop_working(app, admin_client):
    alice, user_id = user_client(app, "alice")
    token = alice.post("/api/user/tokens").get_json()["id"]
    assert admin_client.delete(f"/api/users/{user_id}").status_code == 204
    assert app.test_client().get("/api/user", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert alice.get("/api/user").status_code == 401


# -- cross-site requests ------------------------------------------------------------------------


def project_count(app):
    with db_session(app) as db:
        return len(list(db.scalars(select(Project.id))))


def test_cookie_write_from_a_foreign_origin_is_refused(app, admin_client):
    _, bob_id = user_client(app, "bob")
    for header, foreign, same in (("Origin", "https://evil.example", "http://localhost"),
                                  ("Referer", "https://evil.example/page", "http://localhost/project/1")):
        response = admin_client.post("/api/projects", json={"name": "csrf"}, headers={header: foreign})
        assert response.status_code == 403 and "error" in response.get_json()
        assert admin_client.delete(f"/api/users/{bob_id}", headers={header: foreign}).status_code == 403
        assert project_count(app) == 0
        assert admin_client.post("/api/projects", json={"name": "ok"}, headers={header: same}).status_code == 201
        assert admin_client.get("/api/projects", headers={header: foreign}).status_code == 200  # reads are fine
        assert project_count(app) == 1
        admin_client.delete(f"/api/project/{admin_client.get('/api/projects').get_json()[0]['id']}")
    assert admin_client.get(f"/api/users/{bob_id}").status_code == 200  # the refused delete did not happen


def test_token_write_from_a_foreign_origin_is_allowed(app, admin_client):
    token = admin_client.post("/api/user/tokens").get_json()["id"]
    response = app.test_client().post("/api/projects", json={"name": "via token"},
                                      headers={"Authorization": f"Bearer {token}", "Origin": "https://other.example"})
    assert response.status_code == 201


# -- password login switched off ----------------------------------------------------------------


@pytest.fixture
def no_password_app(database_env, tmp_path):
    from semaphore.app import create_app

    config = make_config(tmp_path, {**database_env, "SEMAPHORE_PASSWORD_LOGIN_DISABLED": "true"})
    application = create_app(config, entry_points=False)
    yield application
    application.extensions["semaphore"].db.dispose()


def test_password_login_disabled(no_password_app):
    app = no_password_app
    create_user_row(app, "alice")
    client = app.test_client()
    meta = client.get("/api/auth/login")
    assert meta.status_code == 200 and meta.get_json()["login_with_password"] is False
    response = login(client, "alice")
    assert response.status_code == 403 and "error" in response.get_json()
    assert client.get_cookie("semaphore_session") is None


def test_login_metadata_when_enabled(sqlite_app):
    meta = sqlite_app.test_client().get("/api/auth/login").get_json()
    assert meta["login_with_password"] is True and meta["oidc_providers"] == []


# -- anonymous callers --------------------------------------------------------------------------

PROTECTED = [
    ("get", "/api/user"), ("get", "/api/user/tokens"), ("post", "/api/user/tokens"),
    ("delete", "/api/user/tokens/abc"),
    ("get", "/api/users"), ("post", "/api/users"), ("get", "/api/users/1"), ("put", "/api/users/1"),
    ("delete", "/api/users/1"), ("post", "/api/users/1/password"),
    ("get", "/api/projects"), ("post", "/api/projects"), ("get", "/api/project/1"), ("put", "/api/project/1"),
    ("delete", "/api/project/1"), ("get", "/api/project/1/role"), ("delete", "/api/project/1/me"),
    ("get", "/api/project/1/users"), ("post", "/api/project/1/users"), ("get", "/api/project/1/users/1"),
    ("put", "/api/project/1/users/1"), ("delete", "/api/project/1/users/1"),
]


def test_anonymous_requests_get_401(sqlite_app):
    """Whatever the body (none, empty, valid): authentication is checked first."""
    client = sqlite_app.test_client()
    bodies = ({}, {"json": {}}, {"json": {"name": "x", "username": "x", "email": "x@example.test",
                                          "password": "p", "user_id": 1, "role": "guest"}})
    answers = {(method, path, str(kwargs)): getattr(client, method)(path, **kwargs)
               for method, path in PROTECTED for kwargs in bodies}
    wrong = {key: (r.status_code, r.get_json()) for key, r in answers.items()
             if r.status_code != 401 or r.get_json() != {"error": "authentication required"}}
    assert not wrong


def test_anonymous_requests_get_401_on_every_database(app):
    create_user_row(app, "alice")
    client = app.test_client()
    assert client.get("/api/projects").status_code == 401
    assert client.post("/api/projects", json={"name": "x"}).status_code == 401
    assert project_count(app) == 0


def test_project_created_by_token_is_owned_by_the_token_user(app):
    client, user_id = user_client(app, "alice", admin=True)
    token = client.post("/api/user/tokens").get_json()["id"]
    bearer = app.test_client()
    bearer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    pid = create_project(bearer, "mine")
    assert bearer.get(f"/api/project/{pid}/role").get_json() == {"role": "owner", "permissions": 15}
