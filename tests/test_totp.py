"""TOTP two-factor authentication over the API, on every database: enrolment, the login challenge,
replays, recovery codes, rate limiting, turning it off, and the server-wide switches."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from account_helpers import db_session
from sqlalchemy import select, update

from semaphore.db.models import Session, UserTotp
from semaphore.db.types import utcnow
from semaphore.testing import TEST_PASSWORD, create_user_row, log_in, make_config

TOTP_REQUIRED = "TOTP_REQUIRED"


def totp_app_for(database_env, tmp_path, **env):
    from semaphore.app import create_app

    settings = {"SEMAPHORE_TOTP_ENABLED": "true", "SEMAPHORE_TOTP_ALLOW_RECOVERY": "true", **env}
    return create_app(make_config(tmp_path, {**database_env, **settings}), entry_points=False)


@pytest.fixture
def totp_app(database_env, tmp_path):
    application = totp_app_for(database_env, tmp_path)
    yield application
    application.extensions["semaphore"].db.dispose()


def code(secret, offset_steps=0):
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrol(client, user_id):
    """Begin and confirm an enrolment; returns (enrolment JSON, secret)."""
    begun = client.post(f"/api/users/{user_id}/2fas/totp")
    assert begun.status_code == 201, begun.get_json()
    body = begun.get_json()
    confirmed = client.post(f"/api/users/{user_id}/2fas/totp/{body['id']}/confirm",
                            json={"passcode": code(body["secret"])})
    assert confirmed.status_code == 200, confirmed.get_json()
    return body, body["secret"]


def password_only(app, username="alice"):
    """A client that gave the right password of a TOTP-enrolled user, and no code yet."""
    client = app.test_client()
    response = client.post("/api/auth/login", json={"auth": username, "password": TEST_PASSWORD})
    assert response.status_code == 204, response.get_json()
    assert client.get_cookie("semaphore_session") is not None
    return client


@pytest.fixture
def enrolled(totp_app):
    """alice, enrolled: (app, user id, secret, recovery codes)."""
    user_id = create_user_row(totp_app, "alice")
    body, secret = enrol(log_in(totp_app.test_client(), "alice"), user_id)
    return totp_app, user_id, secret, body["recovery_codes"]


# -- enrolment ----------------------------------------------------------------------------------


def test_enrolment_shows_the_secret_as_url_text_and_qr_and_waits_for_a_first_code(totp_app):
    user_id = create_user_row(totp_app, "alice", email="alice@example.test")
    client = log_in(totp_app.test_client(), "alice")
    begun = client.post(f"/api/users/{user_id}/2fas/totp")
    assert begun.status_code == 201
    body = begun.get_json()
    assert body["confirmed"] is False and body["user_id"] == user_id
    assert body["url"].startswith("otpauth://totp/Semaphore:alice%40example.test?secret=" + body["secret"])
    assert len(body["recovery_codes"]) == 8 and len(set(body["recovery_codes"])) == 8

    qr = client.get(f"/api/users/{user_id}/2fas/totp/{body['id']}/qr")
    assert qr.status_code == 200 and qr.mimetype == "image/png" and qr.data.startswith(b"\x89PNG")
    assert client.get(f"/api/users/{user_id}/2fas/totp").status_code == 404  # not on yet

    wrong = client.post(f"/api/users/{user_id}/2fas/totp/{body['id']}/confirm", json={"passcode": "000000"})
    assert wrong.status_code == 400
    assert (wrong.get_json()["field"], wrong.get_json()["code"]) == ("passcode", "INVALID_PASSCODE")
    right = client.post(f"/api/users/{user_id}/2fas/totp/{body['id']}/confirm", json={"passcode": code(body["secret"])})
    assert right.status_code == 200 and right.get_json()["confirmed"] is True

    status = client.get(f"/api/users/{user_id}/2fas/totp").get_json()
    assert status == {"id": body["id"], "user_id": user_id, "created": body["created"], "confirmed": True,
                      "recovery_codes_remaining": 8}
    assert "secret" not in status and "url" not in status
    assert client.get(f"/api/users/{user_id}/2fas/totp/{body['id']}/qr").status_code == 404  # only while pending
    assert client.get("/api/user").status_code == 200  # the session that enrolled stays in


def test_the_secret_is_stored_encrypted(enrolled):
    app, user_id, secret, _ = enrolled
    with db_session(app) as db:
        row = db.scalar(select(UserTotp).where(UserTotp.user_id == user_id))
        assert secret not in row.secret and row.recovery_hashes


def test_only_the_user_enrols_and_a_second_enrolment_needs_the_first_turned_off(enrolled):
    app, user_id, _, _ = enrolled
    create_user_row(app, "root", admin=True)
    admin = log_in(app.test_client(), "root")
    assert admin.post(f"/api/users/{user_id}/2fas/totp").status_code == 403
    alice = password_only(app)
    assert alice.post("/api/auth/verify", json={"passcode": code(enrolled[2], 1)}).status_code == 204
    again = alice.post(f"/api/users/{user_id}/2fas/totp")
    assert again.status_code == 409


def test_a_pending_enrolment_lapses(totp_app):
    user_id = create_user_row(totp_app, "alice")
    client = log_in(totp_app.test_client(), "alice")
    body = client.post(f"/api/users/{user_id}/2fas/totp").get_json()
    with db_session(totp_app) as db:
        db.execute(update(UserTotp).values(created=utcnow() - timedelta(minutes=16)))
    late = client.post(f"/api/users/{user_id}/2fas/totp/{body['id']}/confirm", json={"passcode": code(body["secret"])})
    assert late.status_code == 404 and "expired" in late.get_json()["error"]


# -- the login challenge ------------------------------------------------------------------------


def test_an_enrolled_user_gets_nothing_without_the_code(enrolled):
    app, user_id, secret, _ = enrolled
    client = password_only(app)
    for path in ("/api/user", "/api/projects", f"/api/users/{user_id}", "/api/user/tokens"):
        response = client.get(path)
        assert response.status_code == 401 and response.get_json()["error"] == TOTP_REQUIRED, path
    assert client.post("/api/user/tokens").status_code == 401

    wrong = client.post("/api/auth/verify", json={"passcode": "123456"})
    assert wrong.status_code == 400 and wrong.get_json()["code"] == "INVALID_PASSCODE"
    assert client.get("/api/user").status_code == 401
    assert client.post("/api/auth/verify", json={"passcode": code(secret, 1)}).status_code == 204
    assert client.get("/api/user").get_json()["username"] == "alice"


def test_login_metadata_offers_the_second_factor(totp_app):
    meta = totp_app.test_client().get("/api/auth/login").get_json()
    assert meta["auth_methods"] == {"totp": {"allow_recovery": True}}


def test_a_code_works_once(enrolled):
    app, _, secret, _ = enrolled
    used_at_confirmation = code(secret)
    client = password_only(app)
    replay = client.post("/api/auth/verify", json={"passcode": used_at_confirmation})
    assert replay.status_code == 400 and replay.get_json()["code"] == "TOTP_REPLAYED"
    assert client.post("/api/auth/verify", json={"passcode": code(secret, 1)}).status_code == 204
    other = password_only(app)
    assert other.post("/api/auth/verify", json={"passcode": code(secret, 1)}).get_json()["code"] == "TOTP_REPLAYED"


def test_wrong_codes_are_rate_limited(enrolled):
    app, _, secret, _ = enrolled
    client = password_only(app)
    for _ in range(5):
        assert client.post("/api/auth/verify", json={"passcode": "000000"}).status_code == 400
    limited = client.post("/api/auth/verify", json={"passcode": code(secret, 1)})
    assert limited.status_code == 429 and limited.headers.get("Retry-After")
    assert client.get("/api/user").status_code == 401


def test_a_waiting_login_lapses_after_ten_minutes(enrolled):
    app, user_id, secret, _ = enrolled
    client = password_only(app)
    with db_session(app) as db:
        db.execute(update(Session).where(Session.user_id == user_id, Session.verified.is_(False))
                   .values(created=utcnow() - timedelta(minutes=11)))
    late = client.post("/api/auth/verify", json={"passcode": code(secret, 1)})
    assert late.status_code == 401
    assert client.get("/api/user").get_json()["error"] == "authentication required"


def test_logout_ends_a_waiting_login(enrolled):
    app, user_id, secret, _ = enrolled
    client = password_only(app)
    assert client.post("/api/auth/logout").status_code == 204
    with db_session(app) as db:
        waiting = db.scalars(select(Session).where(Session.user_id == user_id, Session.verified.is_(False))).all()
        assert [s.expired for s in waiting] == [True]


def test_verify_without_a_waiting_login_is_refused(enrolled):
    app, _, secret, _ = enrolled
    response = app.test_client().post("/api/auth/verify", json={"passcode": code(secret, 1)})
    assert response.status_code == 401
    assert app.test_client().post("/api/auth/verify", json={}).get_json()["field"] == "passcode"


# -- recovery codes -----------------------------------------------------------------------------


def test_each_recovery_code_works_once(enrolled):
    app, user_id, _, codes = enrolled
    client = password_only(app)
    assert client.post("/api/auth/recovery", json={"recovery_code": codes[0].lower()}).status_code == 204
    assert client.get(f"/api/users/{user_id}/2fas/totp").get_json()["recovery_codes_remaining"] == 7

    again = password_only(app)
    used = again.post("/api/auth/recovery", json={"recovery_code": codes[0]})
    assert used.status_code == 400 and used.get_json()["code"] == "INVALID_RECOVERY_CODE"
    assert again.get("/api/user").status_code == 401
    assert again.post("/api/auth/recovery", json={"recovery_code": codes[1]}).status_code == 204


def test_without_allow_recovery_there_are_no_recovery_codes(database_env, tmp_path):
    app = totp_app_for(database_env, tmp_path, SEMAPHORE_TOTP_ALLOW_RECOVERY="false")
    try:
        user_id = create_user_row(app, "alice")
        body, _ = enrol(log_in(app.test_client(), "alice"), user_id)
        assert body["recovery_codes"] == []
        meta = app.test_client().get("/api/auth/login").get_json()
        assert meta["auth_methods"] == {"totp": {"allow_recovery": False}}
        refused = password_only(app).post("/api/auth/recovery", json={"recovery_code": "AAAA-BBBB"})
        assert refused.status_code == 403
    finally:
        app.extensions["semaphore"].db.dispose()


# -- turning it off -----------------------------------------------------------------------------


def test_the_user_turns_it_off_and_logs_in_with_the_password_alone(enrolled):
    app, user_id, secret, _ = enrolled
    client = password_only(app)
    assert client.post("/api/auth/verify", json={"passcode": code(secret, 1)}).status_code == 204
    totp_id = client.get(f"/api/users/{user_id}/2fas/totp").get_json()["id"]
    assert client.delete(f"/api/users/{user_id}/2fas/totp/{totp_id}").status_code == 204
    assert client.get("/api/user").status_code == 200  # the caller's own session stays
    fresh = password_only(app)
    assert fresh.get("/api/user").status_code == 200


def test_an_admin_resets_it_for_a_user_who_lost_the_device(enrolled):
    app, user_id, secret, _ = enrolled
    alice = password_only(app)
    assert alice.post("/api/auth/verify", json={"passcode": code(secret, 1)}).status_code == 204
    create_user_row(app, "root", admin=True)
    admin = log_in(app.test_client(), "root")
    totp_id = admin.get(f"/api/users/{user_id}/2fas/totp").get_json()["id"]
    assert admin.delete(f"/api/users/{user_id}/2fas/totp/{totp_id}").status_code == 204
    assert alice.get("/api/user").status_code == 401  # her sessions ended with the reset
    assert password_only(app).get("/api/user").status_code == 200

    create_user_row(app, "bob")
    bob = log_in(app.test_client(), "bob")
    assert bob.get(f"/api/users/{user_id}/2fas/totp").status_code == 403


def test_when_the_server_turns_totp_off_enrolments_are_ignored(enrolled, database_env, tmp_path):
    app, user_id, _, _ = enrolled
    off = totp_app_for(database_env, tmp_path, SEMAPHORE_TOTP_ENABLED="false")
    try:
        client = password_only(off)
        assert client.get("/api/user").status_code == 200
        refused = client.post(f"/api/users/{user_id}/2fas/totp")
        assert refused.status_code == 403 and refused.get_json()["code"] == "TOTP_DISABLED"
        assert off.test_client().get("/api/auth/login").get_json()["auth_methods"] == {}
    finally:
        off.extensions["semaphore"].db.dispose()


def test_the_host_turns_it_off_from_the_command_line(enrolled, database_env, tmp_path):
    """For an admin who lost the device with no other admin to reset it."""
    from process_helpers import run_semaphore

    app, user_id, secret, _ = enrolled
    alice = password_only(app)
    assert alice.post("/api/auth/verify", json={"passcode": code(secret, 1)}).status_code == 204
    result = run_semaphore(["--no-config", "user", "totp-disable", "--login", "alice"], tmp_path, database_env)
    assert (result.returncode, result.stdout) == (0, "Two-factor authentication of alice turned off.\n")
    assert alice.get("/api/user").status_code == 401  # every session ended
    assert password_only(app).get("/api/user").status_code == 200


def test_who_may_call_each_enrolment_route(totp_app):
    """The enrolment is the user's own; an admin may read it and turn it off; others get 403 and
    anonymous callers 401, before anything is looked up."""
    alice_id = create_user_row(totp_app, "alice")
    alice = log_in(totp_app.test_client(), "alice")
    pending = alice.post(f"/api/users/{alice_id}/2fas/totp").get_json()
    create_user_row(totp_app, "bob")
    create_user_row(totp_app, "root", admin=True)
    callers = {"anonymous": totp_app.test_client(), "bob": log_in(totp_app.test_client(), "bob"),
               "admin": log_in(totp_app.test_client(), "root")}
    base = f"/api/users/{alice_id}/2fas/totp"
    routes = {("POST", base): "self", ("GET", f"{base}/{pending['id']}/qr"): "self",
              ("POST", f"{base}/{pending['id']}/confirm"): "self",
              ("GET", base): "self or admin", ("DELETE", f"{base}/{pending['id']}"): "self or admin"}
    for (method, path), who in routes.items():
        for name, client in callers.items():
            response = client.open(path, method=method, json={"passcode": "000000"} if "confirm" in path else None)
            if name == "anonymous":
                want = {401}
            elif name == "admin" and who == "self or admin":
                want = {200, 204, 404}  # allowed: 404 for the status of a pending enrolment
            else:
                want = {403}
            assert response.status_code in want, (name, method, path, response.get_json())
