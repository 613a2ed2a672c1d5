"""The generated OpenAPI document and the locally served Swagger UI."""

from __future__ import annotations

import re

NOT_DOCUMENTED = {"/api/openapi.json", "/api/swagger", "/api/swagger-ui/<path:filename>"}


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule).rstrip("/")


def test_every_api_route_is_in_the_openapi_document(sqlite_app):
    client = sqlite_app.test_client()
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    documented = {path.rstrip("/") for path in spec["paths"]}
    routes = {openapi_path(rule.rule) for rule in sqlite_app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and rule.rule not in NOT_DOCUMENTED}
    assert routes - documented == set()
    assert {"/api/auth/login", "/api/project/{project_id}/keys/{key_id}", "/api/ws"} <= documented
    raw = spec["paths"]["/api/project/{project_id}/tasks/{task_id}/raw_output"]["get"]
    assert "text/plain" in raw["responses"]["200"]["content"]


def test_request_schemas_are_in_the_document(sqlite_app):
    spec = sqlite_app.test_client().get("/api/openapi.json").get_json()
    login = spec["paths"]["/api/auth/login"]["post"]
    schema_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"auth", "password"}


def test_swagger_ui_is_served_without_a_cdn(sqlite_app):
    client = sqlite_app.test_client()
    page = client.get("/api/swagger").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in page
    assert "//cdn" not in page and "unpkg" not in page and "jsdelivr" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        response = client.get(f"/api/swagger-ui/{asset}")
        response.close()  # a file response holds the file open until closed
        assert response.status_code == 200


def test_ping_needs_no_login_and_info_does(sqlite_app):
    client = sqlite_app.test_client()
    ping = client.get("/api/ping")
    assert (ping.status_code, ping.get_data(as_text=True), ping.mimetype) == (200, "pong", "text/plain")
    assert client.get("/api/info").status_code == 401
    assert client.get("/api/info").get_json() == {"error": "authentication required"}


def documented_error_schema(spec):
    ref = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_error_answers_have_the_documented_shape(sqlite_app):
    """Every operation documents its errors as the "default" response: that schema is our
    ``{"error", "field", ...}``, not flask-smorest's ``{"code", "status", "message"}``."""
    client = sqlite_app.test_client()
    schema = documented_error_schema(client.get("/api/openapi.json").get_json())
    answers = [client.get("/api/info"), client.post("/api/auth/login", json={"auth": "x"}),
               client.get("/api/no-such-thing")]
    assert [answer.status_code for answer in answers] == [401, 400, 404]
    for answer in answers:
        body = answer.get_json()
        assert set(schema["required"]) <= set(body) <= set(schema["properties"]), (body, schema)
    assert answers[1].get_json()["field"] == "password"


def test_bad_input_is_documented_as_400_not_422(sqlite_app):
    spec = sqlite_app.test_client().get("/api/openapi.json").get_json()
    statuses = {status for item in spec["paths"].values() for operation in item.values()
                if isinstance(operation, dict) and "responses" in operation for status in operation["responses"]}
    assert "422" not in statuses
    assert "400" in spec["paths"]["/api/auth/login"]["post"]["responses"]


def test_ping_is_documented_as_plain_text(sqlite_app):
    spec = sqlite_app.test_client().get("/api/openapi.json").get_json()
    assert "text/plain" in spec["paths"]["/api/ping"]["get"]["responses"]["200"]["content"]
