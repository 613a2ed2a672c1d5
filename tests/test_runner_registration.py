"""Runner registration and the runner token, on every database: the global token and one-time
tokens (spent by one registration, refused after their hour), the stored token hash, the 401 of a
missing, wrong or revoked token, and unregistration."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from runner_helpers import registration_body
from sqlalchemy import select

from semaphore.db.models import Event, Runner, RunnerRegistration
from semaphore.db.types import utcnow
from semaphore.services import runner_registration

GLOBAL = "a long global registration token"
URL = "/api/internal/runners"


@pytest.fixture
def runner_app(app):
    app.extensions["semaphore"].config.runners.registration_token = GLOBAL
    return app


def _one_time_token(app, project_id=None, name=""):
    with app.extensions["semaphore"].db.session() as db:
        token, _row = runner_registration.create_registration_token(db, None, project_id, name)
        db.commit()
    return token


def _runner(app, runner_id):
    with app.extensions["semaphore"].db.session() as db:
        return db.get(Runner, runner_id)


def test_registering_with_the_global_token_makes_a_global_runner(runner_app):
    client = runner_app.test_client()
    response = client.post(URL, json=registration_body(GLOBAL, name="build-1"))
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert set(answer) == {"id", "token"}
    runner = _runner(runner_app, answer["id"])
    assert runner.project_id is None and runner.name == "build-1" and runner.active
    assert runner.token == hashlib.sha256(answer["token"].encode()).hexdigest()  # only the hash is kept
    assert runner.tags == '["linux"]' and runner.apps == '["bash"]' and runner.version == "1.0"
    assert runner.public_key.startswith("-----BEGIN PUBLIC KEY-----")
    assert runner.registered is not None and runner.touched is not None


def test_the_older_runner_registration_token_still_works(app):
    app.extensions["semaphore"].config.runner_registration_token = "the older key"
    assert app.test_client().post(URL, json=registration_body("the older key")).status_code == 200


@pytest.mark.parametrize("token", ["", "wrong", GLOBAL + "x", GLOBAL[:-1]])
def test_a_wrong_registration_token_is_the_originals_400(runner_app, token):
    response = runner_app.test_client().post(URL, json=registration_body(token))
    assert (response.status_code, response.get_json()) == (400, {"error": "Invalid registration token"})
    with runner_app.extensions["semaphore"].db.session() as db:
        assert db.scalars(select(Runner)).all() == []


def test_without_a_configured_token_only_one_time_tokens_register(app):
    client = app.test_client()
    assert client.post(URL, json=registration_body("")).status_code == 400
    assert client.post(URL, json=registration_body(_one_time_token(app))).status_code == 200


def test_a_one_time_token_registers_once(runner_app, project):
    token = _one_time_token(runner_app, project.id, name="from the ui")
    client = runner_app.test_client()
    first = client.post(URL, json=registration_body(token))
    assert first.status_code == 200, first.get_json()
    runner = _runner(runner_app, first.get_json()["id"])
    assert runner.project_id == project.id and runner.name == "from the ui"
    second = client.post(URL, json=registration_body(token))
    assert (second.status_code, second.get_json()) == (400, {"error": "Invalid registration token"})
    with runner_app.extensions["semaphore"].db.session() as db:
        assert len(db.scalars(select(Runner)).all()) == 1
        assert db.scalar(select(RunnerRegistration)).used is not None


def test_a_one_time_token_expires_after_an_hour(runner_app):
    token = _one_time_token(runner_app)
    with runner_app.extensions["semaphore"].db.session() as db:
        row = db.scalar(select(RunnerRegistration))
        assert row.expires - row.created == timedelta(hours=1)
        row.expires = utcnow() - timedelta(seconds=1)
        db.commit()
    response = runner_app.test_client().post(URL, json=registration_body(token))
    assert (response.status_code, response.get_json()) == (400, {"error": "Invalid registration token"})


def test_a_registration_with_a_bad_field_spends_no_token(runner_app):
    token = _one_time_token(runner_app)
    client = runner_app.test_client()
    bad = client.post(URL, json=registration_body(token, max_parallel_tasks=-1))
    assert bad.status_code == 400 and bad.get_json()["field"] == "max_parallel_tasks"
    assert client.post(URL, json=registration_body(token)).status_code == 200


def _rsa_public_key():
    """An RSA key, as the original's runners send: not what payloads are sealed to here."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize("public_key", ["", "not a key", _rsa_public_key()])
def test_the_public_key_must_be_an_x25519_pem_key(runner_app, public_key):
    response = runner_app.test_client().post(URL, json=registration_body(GLOBAL, public_key=public_key))
    assert response.status_code == 400 and response.get_json()["field"] == "public_key", response.get_json()


@pytest.mark.parametrize("headers", [{}, {"X-Runner-Token": ""}, {"X-Runner-Token": "wrong"}])
def test_unregistering_needs_the_runners_token(runner_app, headers):
    response = runner_app.test_client().delete(URL, headers=headers)
    assert response.status_code == 401 and set(response.get_json()) == {"error"}


def test_unregistering_deletes_the_runner_and_revokes_its_token(runner_app):
    client = runner_app.test_client()
    answer = client.post(URL, json=registration_body(GLOBAL)).get_json()
    headers = {"X-Runner-Token": answer["token"]}
    assert client.delete(URL, headers=headers).status_code == 204
    assert _runner(runner_app, answer["id"]) is None
    again = client.delete(URL, headers=headers)
    assert again.status_code == 401 and set(again.get_json()) == {"error"}
    with runner_app.extensions["semaphore"].db.session() as db:
        actions = [e.action for e in db.scalars(select(Event).where(Event.object_type == "runner"))]
    assert actions == ["create", "delete"]
