"""The `semaphore` command line, run as a user runs it: the installed console script in a subprocess.

Database-bound commands run on SQLite, PostgreSQL and MySQL/MariaDB (the ``dialect`` fixtures of
semaphore.testing); errors must be one line on stderr with a non-zero exit status.
"""

from __future__ import annotations

import base64
import json
import shlex
import stat
from pathlib import Path

import pytest
from process_helpers import ServerProcess, assert_one_line_error, run_semaphore

from semaphore.app import create_app
from semaphore.config import Config, load_config
from semaphore.crypto import SecretBox, parse_key
from semaphore.db.migrate import head_revision
from semaphore.db.models import AccessKey
from semaphore.testing import TEST_KEY, create_user_row, log_in, make_config
from semaphore.version import __version__

NEW_KEY = base64.b64encode(b"n" * 32).decode()
WRONG_KEY = base64.b64encode(b"w" * 32).decode()
SETUP_DIALECT_ANSWER = {"sqlite": "1", "postgres": "2", "mysql": "3"}


def semaphore(tmp_path: Path, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> str:
    """Run a command that must succeed; its stdout."""
    result = run_semaphore(list(args), tmp_path, env, stdin)
    assert result.returncode == 0, result
    return result.stdout


def can_log_in(config_path: Path, login: str, password: str) -> bool:
    app = create_app(load_config(str(config_path)), entry_points=False)
    try:
        response = app.test_client().post("/api/auth/login", json={"auth": login, "password": password})
        return response.status_code == 204
    finally:
        app.extensions["semaphore"].db.dispose()


# -- version, help ------------------------------------------------------------------------------

def test_version(tmp_path):
    assert semaphore(tmp_path, "version") == f"{__version__}\n"


def test_help_for_a_command_and_for_an_unknown_one(tmp_path):
    assert "--login" in semaphore(tmp_path, "help", "user", "add")
    assert "server" in semaphore(tmp_path, "help")
    assert_one_line_error(run_semaphore(["help", "launch"], tmp_path), "no such command: launch")


# -- setup ----------------------------------------------------------------------------------------

def setup_answers(dialect: str, database_env: dict[str, str], tmp_path: Path) -> list[str]:
    if dialect == "sqlite":
        database = [database_env["SEMAPHORE_DB_HOST"]]
    else:
        database = [database_env["SEMAPHORE_DB_HOST"], database_env["SEMAPHORE_DB_USER"],
                    database_env["SEMAPHORE_DB_PASS"], database_env["SEMAPHORE_DB"]]
    return [SETUP_DIALECT_ANSWER[dialect], *database, str(tmp_path / "work"), "https://ci.example.test/",
            str(tmp_path / "etc"), "Root", "root@example.test", "Root Admin", "pw-of-root"]


def test_setup_writes_config_migrates_and_creates_the_admin(dialect, database_env, tmp_path):
    answers = setup_answers(dialect, database_env, tmp_path)
    output = semaphore(tmp_path, "setup", stdin="\n".join(answers) + "\n")

    config_path = tmp_path / "etc" / "config.json"
    assert f"Configuration written to {config_path}" in output
    assert f"migrated to revision {head_revision()}" in output
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600  # it holds keys and the database password
    written = json.loads(config_path.read_text())
    assert written["dialect"] == dialect
    assert written[dialect]["host"] == database_env["SEMAPHORE_DB_HOST"]
    assert written["web_host"] == "https://ci.example.test"
    assert written["tmp_path"] == str(tmp_path / "work")
    keys = {written["cookie_hash"], written["cookie_encryption"], written["access_key_encryption"]}
    assert len(keys) == 3 and all(len(parse_key(key)) == 32 for key in keys)

    shown = semaphore(tmp_path, "--config", str(config_path), "user", "get", "--login", "root")
    assert "Email:    root@example.test" in shown and "Admin:    true" in shown
    assert can_log_in(config_path, "root", "pw-of-root")


def test_setup_asks_again_after_an_invalid_answer_and_stops_at_the_end_of_input(tmp_path):
    answers = ["4", "1", str(tmp_path / "db.sqlite"), str(tmp_path / "work"), "ftp://nope", ""]
    result = run_semaphore(["setup"], tmp_path, stdin="\n".join(answers) + "\n")
    assert "answer 1, 2 or 3" in result.stdout
    assert "give an http:// or https:// URL, or nothing" in result.stdout
    assert_one_line_error(result, "input ended before an answer to 'Directory for config.json'")
    assert not (tmp_path / "config.json").exists()


def test_setup_asks_for_the_database_again_when_it_cannot_connect(tmp_path):
    answers = ["2", "127.0.0.1:99999", "127.0.0.1:1", "postgres", "", "semaphore"]
    result = run_semaphore(["setup"], tmp_path, stdin="\n".join(answers) + "\n")
    assert "port '99999' is not a number from 1 to 65535" in result.stdout
    assert "cannot connect to the database:" in result.stdout
    assert_one_line_error(result, "input ended before an answer to 'Database'")


def store_a_secret(config: Config, login: str, password: str) -> None:
    app = create_app(config, entry_points=False)
    try:
        client = app.test_client()
        assert client.post("/api/auth/login", json={"auth": login, "password": password}).status_code == 204
        pid = client.post("/api/projects", json={"name": "Secrets"}).get_json()["id"]
        key = {"name": "deploy", "type": "login_password", "login_password": {"login": "u", "password": "kept"}}
        assert client.post(f"/api/project/{pid}/keys", json=key).status_code == 201
    finally:
        app.extensions["semaphore"].db.dispose()


def stored_secret(config: Config) -> str:
    app = create_app(config, entry_points=False)
    try:
        with app.extensions["semaphore"].db.session() as db:
            secret = db.query(AccessKey).filter_by(name="deploy").one().secret
    finally:
        app.extensions["semaphore"].db.dispose()
    return json.loads(SecretBox(parse_key(config.access_key_encryption)).decrypt(secret))["password"]


def test_setup_again_keeps_the_keys_and_asks_before_changing_the_admin(tmp_path):
    database = str(tmp_path / "semaphore.sqlite")
    config_dir = tmp_path / "my etc"
    first = ["1", database, str(tmp_path / "work"), "", str(config_dir), "root", "root@example.test", "Root",
             "password-1"]
    semaphore(tmp_path, "setup", stdin="\n".join(first) + "\n")
    config_path = config_dir / "config.json"
    store_a_secret(load_config(str(config_path)), "root", "password-1")
    keys_before = {k: v for k, v in json.loads(config_path.read_text()).items() if "cookie" in k or "key" in k}

    again = [*first[:5], "yes", *first[5:8], "password-2", "no"]  # overwrite config.json: yes; change root: no
    output = semaphore(tmp_path, "setup", stdin="\n".join(again) + "\n")
    assert "Keeping the keys in use: cookie_hash, cookie_encryption, access_key_encryption." in output
    assert "Admin root left unchanged." in output
    assert {k: v for k, v in json.loads(config_path.read_text()).items() if k in keys_before} == keys_before
    assert stored_secret(load_config(str(config_path))) == "kept"
    assert can_log_in(config_path, "root", "password-1") and not can_log_in(config_path, "root", "password-2")

    # the start command it prints works as printed (the directory has a space in its name)
    start = output.splitlines()[-1].removeprefix("Start the server with: ")
    argv = shlex.split(start)
    assert argv[:2] == ["semaphore", "server"]
    server = ServerProcess(tmp_path, args=[], server_args=argv[2:]).start()
    assert server.stop() == 0


def test_setup_on_a_database_with_generated_keys_keeps_them_and_changes_the_admin_when_told(tmp_path):
    database = str(tmp_path / "data" / "database.sqlite")
    env = {"SEMAPHORE_DATA_DIR": str(tmp_path / "data")}
    semaphore(tmp_path, "--no-config", "user", "add", "--login", "root", "--name", "Root", "--email",
              "root@example.test", "--password", "password-1", "--admin", env=env)
    store_a_secret(load_config(no_config=True, environ=env), "root", "password-1")  # generates the keys

    answers = ["1", database, str(tmp_path / "work"), "", str(tmp_path), "root", "root@example.test", "Root",
               "password-2", "yes"]
    output = semaphore(tmp_path, "setup", stdin="\n".join(answers) + "\n")
    assert "Keeping the keys in use: cookie_hash, access_key_encryption." in output
    assert "Admin root updated." in output
    config_path = tmp_path / "config.json"
    assert stored_secret(load_config(str(config_path))) == "kept"
    assert can_log_in(config_path, "root", "password-2") and not can_log_in(config_path, "root", "password-1")


# -- migrate --------------------------------------------------------------------------------------

def test_migrate_a_new_database_then_find_it_up_to_date(tmp_path):
    env = {"SEMAPHORE_DB_HOST": str(tmp_path / "new.sqlite")}
    first = semaphore(tmp_path, "--no-config", "migrate", env=env)
    assert first == f"Database (sqlite) migrated from empty to revision {head_revision()}.\n"
    second = semaphore(tmp_path, "--no-config", "migrate", env=env)
    assert second == f"Database (sqlite) is up to date at revision {head_revision()}.\n"


def test_migrate_on_each_database(dialect, database_env, tmp_path):
    output = semaphore(tmp_path, "--no-config", "migrate", env=database_env)
    assert output == f"Database ({dialect}) is up to date at revision {head_revision()}.\n"


# -- global options after the command --------------------------------------------------------------

def test_global_options_work_after_the_command_as_the_documentation_writes_them(tmp_path):
    """The original's documentation puts --config after the command (`semaphore server
    --config=./config.json`, `semaphore user add --config ...`); both forms, at every depth."""
    (tmp_path / "config.json").write_text(json.dumps({"sqlite": {"host": str(tmp_path / "from-config.sqlite")}}))
    other_db = {"SEMAPHORE_DB_HOST": str(tmp_path / "from-env.sqlite")}

    assert "migrated from empty" in semaphore(tmp_path, "migrate", "--config=./config.json")
    assert "is up to date" in semaphore(tmp_path, "migrate", "--config", "./config.json")
    semaphore(tmp_path, "user", "add", "--admin", "--login", "john", "--name=John", "--email=john@example.test",
              "--password=12345678", "--config", "./config.json")
    semaphore(tmp_path, "user", "change-by-login", "--login", "john", "--password", "New$Password",
              "--config=./config.json")
    assert can_log_in(tmp_path / "config.json", "john", "New$Password")
    assert semaphore(tmp_path, "user", "--config", "./config.json", "list") == "john\n"
    # --no-config after the command skips ./config.json; the one after the command wins
    assert semaphore(tmp_path, "--config", "./config.json", "user", "list", "--no-config", env=other_db) == ""
    assert "john" in semaphore(tmp_path, "--config", "missing.json", "user", "get", "--login", "john",
                               "--config=config.json")
    # --log-level after the command sets the level from the start (alembic speaks at INFO under DEBUG)
    debug = run_semaphore(["migrate", "--config", "config.json", "--log-level", "DEBUG"], tmp_path)
    assert debug.returncode == 0 and "INFO alembic" in debug.stderr, debug
    quiet = run_semaphore(["migrate", "--config", "config.json", "--log-level=ERROR"], tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet
    # a plugin's command takes them too
    assert semaphore(tmp_path, "hello", "--name", "Ann", "--config=config.json",
                     env={"SEMAPHORE_PLUGINS": "hello"}) == "Hello, Ann!\n"
    assert_one_line_error(run_semaphore(["user", "list", "--config", "missing.json"], tmp_path),
                          "config file not found: missing.json")


# -- users ----------------------------------------------------------------------------------------

def test_user_commands(dialect, database_env, tmp_path):
    def user(*args: str) -> str:
        return semaphore(tmp_path, "--no-config", "user", *args, env=database_env)

    assert user("add", "--login", "Ann", "--name", "Ann A", "--email", "Ann@Example.test",
                "--password", "password-1", "--admin").startswith("User ann created (id ")
    semaphore(tmp_path, "--no-config", "users", "add", "--login", "bob", "--name", "Bob", "--email",
              "bob@example.test", "--password", "password-2", env=database_env)  # `users` is the original's alias
    user("change-by-login", "--login", "bob", "--name", "Robert", "--admin")
    shown = user("get", "--email", "BOB@example.test")
    assert "Name:     Robert" in shown and "Admin:    true" in shown
    user("change-by-email", "--email", "bob@example.test", "--login", "rob", "--no-admin")
    assert user("list") == "ann\nrob\n"
    assert user("delete", "--email", "bob@example.test") == "User rob deleted.\n"


def test_user_commands_refuse_bad_input_with_one_line(tmp_path):
    env = {"SEMAPHORE_DB_HOST": str(tmp_path / "users.sqlite")}

    def refused(*args: str) -> str:
        return assert_one_line_error(run_semaphore(["--no-config", "user", *args], tmp_path, env))

    semaphore(tmp_path, "--no-config", "user", "add", "--login", "ann", "--name", "Ann", "--email",
              "ann@example.test", "--password", "password-1", "--admin", env=env)
    assert "--email: Not a valid email address." in refused(
        "add", "--login", "eve", "--name", "Eve", "--email", "not-mail", "--password", "x")
    assert "--login: must not contain spaces" in refused(
        "add", "--login", "e ve", "--name", "Eve", "--email", "eve@example.test", "--password", "x")
    assert "a user with this username already exists" in refused(
        "add", "--login", "ANN", "--name", "A", "--email", "a2@example.test", "--password", "x")
    assert "Missing option '--password'" in refused("add", "--login", "eve", "--name", "Eve", "--email", "e@x.test")
    assert "password: must be at least 8 characters long" in refused(
        "add", "--login", "eve", "--name", "Eve", "--email", "eve@example.test", "--password", "seven77")
    assert "password: must be at least 8 characters long" in refused(
        "change-by-login", "--login", "ann", "--password", "seven77")
    assert "no user with login nobody" in refused("get", "--login", "nobody")
    assert "give either --login or --email" in refused("delete")
    assert "nothing to change" in refused("change-by-login", "--login", "ann")
    assert "the last admin cannot lose admin rights or be deleted" in refused("delete", "--login", "ann")


# -- vault rekey ----------------------------------------------------------------------------------

def test_vault_rekey(dialect, database_env, tmp_path):
    """Secrets written with the old key are readable with the new one after `vault rekey`."""
    app = create_app(make_config(tmp_path, database_env), entry_points=False)  # encrypts with TEST_KEY
    create_user_row(app, "admin", admin=True)
    client = log_in(app.test_client(), "admin")
    pid = client.post("/api/projects", json={"name": "Vault"}).get_json()["id"]
    for body in ({"name": "deploy", "type": "ssh", "ssh": {"login": "root", "private_key": "-----BEGIN KEY-----x"}},
                 {"name": "become", "type": "login_password", "login_password": {"login": "u", "password": "pw"}},
                 {"name": "anonymous", "type": "none"}):
        assert client.post(f"/api/project/{pid}/keys", json=body).status_code == 201
    environment = {"name": "prod", "json": "{}", "secrets": [
        {"operation": "create", "type": "var", "name": "api_token", "secret": "t0ken"}]}
    assert client.post(f"/api/project/{pid}/environment", json=environment).status_code == 201

    def stored() -> dict[str, str | None]:
        with app.extensions["semaphore"].db.session() as db:
            return {key.name: key.secret for key in db.query(AccessKey)}

    before = stored()
    plaintexts = {name: SecretBox(parse_key(TEST_KEY)).decrypt(secret) for name, secret in before.items() if secret}
    env = {**database_env, "SEMAPHORE_ACCESS_KEY_ENCRYPTION": NEW_KEY, "SEMAPHORE_COOKIE_HASH": TEST_KEY}

    wrong = run_semaphore(["--no-config", "vault", "rekey", "--old-key", WRONG_KEY], tmp_path, env)
    assert_one_line_error(wrong, "access key 'deploy'", "cannot be decrypted with the old key; nothing was changed")
    assert stored() == before

    output = semaphore(tmp_path, "--no-config", "vaults", "rekey", "--old-key", TEST_KEY, env=env)
    assert output == "3 secret(s) re-encrypted with the configured access_key_encryption.\n"
    after = stored()
    new_box = SecretBox(parse_key(NEW_KEY))
    assert {name: new_box.decrypt(secret) for name, secret in after.items() if secret} == plaintexts
    assert after["anonymous"] is None and set(plaintexts) == {"deploy", "become", "var.api_token"}
    app.extensions["semaphore"].db.dispose()


def test_vault_rekey_refuses_a_malformed_key(tmp_path):
    result = run_semaphore(["--no-config", "vault", "rekey", "--old-key", "not base64!"], tmp_path)
    assert_one_line_error(result, "--old-key: not valid base64")


# -- plugins --------------------------------------------------------------------------------------

def test_plugins_json_lists_builtins_and_installed_plugins(tmp_path):
    listed = json.loads(semaphore(tmp_path, "--no-config", "plugins", "--json",
                                  env={"SEMAPHORE_DISABLE_PLUGINS": "hello"}))
    by_name = {plugin["name"]: plugin for plugin in listed}
    assert by_name["password_auth"]["builtin"] and by_name["password_auth"]["status"] == "loaded"
    assert by_name["hello"]["status"] == "disabled"
    assert by_name["hello"]["distribution"] == "semaphore-hello"

    table = semaphore(tmp_path, "--no-config", "plugins")
    assert table.splitlines()[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "HOOKS"]


def test_a_plugin_adds_a_command(tmp_path):
    assert semaphore(tmp_path, "hello", "--name", "Ann", env={"SEMAPHORE_PLUGINS": "hello"}) == "Hello, Ann!\n"
    assert_one_line_error(run_semaphore(["hello"], tmp_path, {"SEMAPHORE_DISABLE_PLUGINS": "hello"}),
                          "No such command 'hello'")


# -- errors are one line --------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "env", "file_text", "fragment"), [
    (["--config", "missing.json", "user", "list"], {}, None, "config file not found: missing.json"),
    (["--config", "config.json", "user", "list"], {}, "{not json", "cannot read config file config.json"),
    (["--config", "config.json", "user", "list"], {}, '{"port": "eighty"}', "port: 'eighty' is not valid"),
    (["--no-config", "user", "list"], {"SEMAPHORE_MAX_PARALLEL_TASKS": "many"}, None,
     "SEMAPHORE_MAX_PARALLEL_TASKS: expected a whole number"),
    (["--no-config", "user", "list"], {"SEMAPHORE_DB_DIALECT": "postgres", "SEMAPHORE_DB_HOST": "127.0.0.1:1"},
     None, "database: "),
    (["--no-config", "--log-level", "LOUD", "version"], {}, None, "Invalid value for '--log-level'"),
])
def test_errors_are_one_line(tmp_path, args, env, file_text, fragment):
    if file_text is not None:
        (tmp_path / "config.json").write_text(file_text)
    assert_one_line_error(run_semaphore(args, tmp_path, env), fragment)
