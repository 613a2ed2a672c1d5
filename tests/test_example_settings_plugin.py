"""The example plugin with settings of its own (examples/json_alert), loaded through its real entry
point as a server loads it: its settings come from config.json and from SEMAPHORE_* variables, are
checked at start, and decide the alerts a user receives.

Most tests use the editable install (`pip install -e examples/json_alert`, part of `make install`);
the last one installs the example from its directory as a user would, and runs the real server with it.
"""

from __future__ import annotations

import ast
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alert_helpers import change_and_wait, project_with_task
from live_server import ADMIN, Api, bash_template
from process_helpers import ServerProcess

import semaphore_json_alert
from semaphore.alerts.testing import WebhookRecorder
from semaphore.app import create_app
from semaphore.config import load_config
from semaphore.errors import ConfigError
from semaphore.testing import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dialect():
    return "sqlite"  # the settings do not depend on the database


@pytest.fixture
def configure(database_env, tmp_path):
    """``configure(file_settings, **env)`` -> the Config a server loads from a config.json holding
    ``file_settings`` and from the variables ``env``, with this plugin (and bash) loaded."""
    def load(file_settings: dict, **env: str):
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"web_host": "https://semaphore.example.test", **file_settings}))
        return load_config(str(path), environ={
            **database_env, "SEMAPHORE_DATA_DIR": str(tmp_path / "data"), "SEMAPHORE_TMP_PATH": str(tmp_path / "work"),
            "SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY, "SEMAPHORE_COOKIE_HASH": TEST_KEY,
            "SEMAPHORE_PLUGINS": "json_alert,bash", "SEMAPHORE_PLUGINS_STRICT": "1", **env})
    return load


@pytest.fixture
def alerts_of(configure):
    """``alerts_of(status, file_settings, **env)`` -> the JSON alerts a task that turns ``status``
    sends, by the path they were posted to; ``{hook}`` in a value is a local recorder's URL."""
    apps = []

    def run(status: str, file_settings: dict, **env: str) -> dict[str, dict]:
        with WebhookRecorder() as hook:
            def fill(value):
                return value.format(hook=hook.url) if isinstance(value, str) else value
            config = configure({key: fill(value) for key, value in file_settings.items()},
                               **{name: fill(value) for name, value in env.items()})
            apps.append(create_app(config, entry_points=True))
            _, _, task_id = project_with_task(apps[-1], username=f"admin{len(apps)}")  # one database
            change_and_wait(apps[-1], task_id, status)
        return {post.path: post.json for post in hook.received}

    yield run
    for app in apps:
        app.extensions["semaphore"].db.dispose()


def test_the_url_from_config_json_and_the_title_from_the_environment_make_the_alert(alerts_of):
    posts = alerts_of("error", {"json_alert_url": "{hook}/from-file"}, SEMAPHORE_JSON_ALERT_TITLE="Ops")
    (alert,) = posts.values()
    assert list(posts) == ["/from-file"]
    assert alert["text"].startswith("Ops: ") and alert["text"].endswith(" error")
    assert alert["status"] == "error" and alert["url"].startswith("https://semaphore.example.test/project/")


def test_the_variable_wins_over_config_json(alerts_of):
    posts = alerts_of("error", {"json_alert_url": "{hook}/from-file", "json_alert_title": "From file"},
                      SEMAPHORE_JSON_ALERT_URL="{hook}/from-env")
    assert list(posts) == ["/from-env"] and posts["/from-env"]["text"].startswith("From file: ")


def test_only_the_configured_statuses_send_alerts(alerts_of):
    assert alerts_of("success", {"json_alert_url": "{hook}/a"}) == {}  # the default: errors only
    assert list(alerts_of("success", {"json_alert_url": "{hook}/a"}, SEMAPHORE_JSON_ALERT_STATUSES="error,success")) \
        == ["/a"]


def test_the_url_is_a_secret(configure):
    public = configure({"json_alert_url": "https://hooks.example.test/T0/secret"}).public()
    assert public["json_alert_url"] == "********" and public["json_alert_statuses"] == ["error"]


@pytest.mark.parametrize(("file_settings", "env", "message"), [
    ({"json_alert_statuses": ["failed"]}, {}, "json_alert_statuses: failed is not one of"),
    ({"json_alert_statuses": "error"}, {}, "json_alert_statuses: expected a JSON array"),
    ({}, {"SEMAPHORE_JSON_ALERT_STATUSES": "error,oops"}, "json_alert_statuses: oops is not one of"),
])
def test_a_bad_value_stops_the_start_naming_it(configure, file_settings, env, message):
    with pytest.raises(ConfigError) as info:
        configure(file_settings, **env)
    assert info.value.message.startswith(message)


def test_without_the_plugin_its_keys_are_a_warning(configure, caplog):
    with caplog.at_level(logging.WARNING, logger="semaphore.config"):
        config = configure({"json_alert_statuses": ["failed"]}, SEMAPHORE_PLUGINS="bash")
    assert "unknown key json_alert_statuses ignored" in caplog.text
    assert "json_alert_statuses" not in config.public()


def test_built_on_the_front_door_only_and_installed_for_the_tests():
    tree = ast.parse(Path(semaphore_json_alert.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    from_core = {name for name in imported if name and name.split(".")[0] == "semaphore"}
    assert from_core and all(name == "semaphore" or name.startswith("semaphore.plugin_api.") for name in from_core)
    assert "-e ./examples/json_alert" in (ROOT / "requirements-test.txt").read_text().splitlines()


def test_installed_from_its_directory_a_real_server_sends_the_alert_its_settings_describe(tmp_path):
    # A copy under a version of its own: the server must load this install, not the editable one
    # (entry points of the first distribution of a name on sys.path win, and PYTHONPATH comes first).
    source = tmp_path / "json_alert"
    shutil.copytree(ROOT / "examples" / "json_alert", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pyproject = source / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.0+from.directory"'))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(source)],
                   check=True, capture_output=True, timeout=300)

    with WebhookRecorder() as hook:
        (tmp_path / "config.json").write_text(json.dumps({"json_alert_url": hook.url + "/ops-channel"}))
        server = ServerProcess(tmp_path, env={**ADMIN, "PYTHONPATH": str(site), "SEMAPHORE_JSON_ALERT_TITLE": "Ops",
                                              "SEMAPHORE_PLUGINS": "json_alert,bash"},
                               args=["--config", str(tmp_path / "config.json")]).start()
        try:
            api = Api.logged_in(server.url)
            plugins = {plugin["name"]: plugin for plugin in api("GET", "/api/plugins")[1]}
            pid, template_id = bash_template(api, tmp_path / "scripts", "fail.sh", "exit 1\n",
                                             project={"name": "Settings", "alert": True}, template="failing")
            task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
            api.wait_for_status(pid, task["id"], {"error"})
            (post,) = hook.wait_for(1)
        finally:
            server.stop()

    assert plugins["json_alert"]["version"] == "0.1.0+from.directory" and plugins["json_alert"]["status"] == "loaded"
    assert post.path == "/ops-channel"
    assert post.json["text"] == f"Ops: Settings / failing #{task['id']} error"
    assert "ops-channel" not in server.stdout + server.stderr  # the URL is a secret setting
