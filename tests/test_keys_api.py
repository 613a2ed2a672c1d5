"""The key store over the API, on every database."""

from __future__ import annotations

from sqlalchemy import text

SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-material-abc123\n-----END OPENSSH PRIVATE KEY-----\n"


def create_project(client, name="Demo"):
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_secrets_are_write_only_and_encrypted_at_rest(app, admin_client):
    pid = create_project(admin_client)
    response = admin_client.post(f"/api/project/{pid}/keys", json={
        "name": "deploy", "type": "ssh", "ssh": {"login": "root", "private_key": SSH_KEY}})
    assert response.status_code == 201
    key = response.get_json()
    # The original's edit forms bind to the secret fields: they are there, always blank.
    assert key == {"id": key["id"], "name": "deploy", "type": "ssh", "project_id": pid, "empty": False,
                   "login_password": {"login": "", "password": ""},
                   "ssh": {"login": "", "passphrase": "", "private_key": ""}, "string": "", "override_secret": False}
    for url in (f"/api/project/{pid}/keys", f"/api/project/{pid}/keys/{key['id']}"):
        assert "secret-material" not in admin_client.get(url).get_data(as_text=True)
    with app.extensions["semaphore"].db.engine.connect() as conn:
        stored = conn.execute(text("SELECT secret FROM access_key WHERE id = :id"), {"id": key["id"]}).scalar()
    assert stored and "secret-material" not in stored and "root" not in stored


def test_bad_key_names_the_field_and_writes_nothing(admin_client):
    pid = create_project(admin_client)
    before = admin_client.get(f"/api/project/{pid}/keys").get_json()
    response = admin_client.post(f"/api/project/{pid}/keys", json={"name": "x", "type": "ssh", "ssh": {}})
    assert response.status_code == 400
    assert response.get_json()["field"] == "ssh.private_key"
    response = admin_client.post(f"/api/project/{pid}/keys", json={"type": "none"})
    assert response.status_code == 400 and response.get_json()["field"] == "name"
    response = admin_client.post(f"/api/project/{pid}/keys", json={"name": "x", "type": "rsa"})
    assert response.status_code == 400 and response.get_json()["field"] == "type"
    assert admin_client.get(f"/api/project/{pid}/keys").get_json() == before


def test_oversized_private_key_is_refused_not_a_server_error(admin_client):
    pid = create_project(admin_client)
    huge = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "A" * 40000 + "\n-----END OPENSSH PRIVATE KEY-----\n"
    body = {"name": "big", "type": "ssh", "ssh": {"private_key": huge}}
    response = admin_client.post(f"/api/project/{pid}/keys", json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == "ssh.private_key"
