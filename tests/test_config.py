"""Configuration: where config.json comes from, what overrides what, and the errors an operator sees."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from semaphore_auth_ldap.settings import LdapSettings

from semaphore.config import CONFIG_SEARCH_PATHS, Config, load_config
from semaphore.config.fields import env_names
from semaphore.db.engine import create_db_engine, database_url, sqlite_path
from semaphore.docgen.configuration import FIRST_PARTY_PLUGINS, documented_sections, documented_settings, render
from semaphore.errors import ConfigError
from semaphore.generated_secrets import FILE_NAME, ensure_secrets
from semaphore.testing import TEST_KEY

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

# Every variable of the original's configuration (reference §5.2, with the runner block of §4).
REFERENCE_VARIABLES_TEXT = """
SEMAPHORE_DB_HOST SEMAPHORE_DB_USER SEMAPHORE_DB_PASS SEMAPHORE_DB SEMAPHORE_DB_NAME SEMAPHORE_DB_OPTIONS
SEMAPHORE_DB_DIALECT SEMAPHORE_PORT SEMAPHORE_INTERFACE SEMAPHORE_TMP_PATH SEMAPHORE_SSH_PATH
SEMAPHORE_GIT_CLIENT SEMAPHORE_WEB_ROOT SEMAPHORE_COOKIE_HASH SEMAPHORE_COOKIE_ENCRYPTION
SEMAPHORE_ACCESS_KEY_ENCRYPTION
SEMAPHORE_EMAIL_ALERT SEMAPHORE_EMAIL_SENDER SEMAPHORE_EMAIL_HOST SEMAPHORE_EMAIL_PORT SEMAPHORE_EMAIL_USERNAME
SEMAPHORE_EMAIL_PASSWORD SEMAPHORE_EMAIL_SECURE
SEMAPHORE_LDAP_ENABLE SEMAPHORE_LDAP_BIND_DN SEMAPHORE_LDAP_BIND_PASSWORD SEMAPHORE_LDAP_SERVER
SEMAPHORE_LDAP_SEARCH_DN SEMAPHORE_LDAP_SEARCH_FILTER SEMAPHORE_LDAP_NEEDTLS
SEMAPHORE_LDAP_MAPPING_DN SEMAPHORE_LDAP_MAPPING_MAIL SEMAPHORE_LDAP_MAPPING_UID SEMAPHORE_LDAP_MAPPING_CN
SEMAPHORE_TELEGRAM_ALERT SEMAPHORE_TELEGRAM_CHAT SEMAPHORE_TELEGRAM_TOKEN
SEMAPHORE_SLACK_ALERT SEMAPHORE_SLACK_URL SEMAPHORE_ROCKETCHAT_ALERT SEMAPHORE_ROCKETCHAT_URL
SEMAPHORE_MICROSOFT_TEAMS_ALERT SEMAPHORE_MICROSOFT_TEAMS_URL SEMAPHORE_DINGTALK_ALERT SEMAPHORE_DINGTALK_URL
SEMAPHORE_GOTIFY_ALERT SEMAPHORE_GOTIFY_URL SEMAPHORE_GOTIFY_TOKEN
SEMAPHORE_MAX_TASK_DURATION_SEC SEMAPHORE_MAX_TASKS_PER_TEMPLATE SEMAPHORE_MAX_PARALLEL_TASKS
SEMAPHORE_RUNNER_REGISTRATION_TOKEN SEMAPHORE_PASSWORD_LOGIN_DISABLED SEMAPHORE_NON_ADMIN_CAN_CREATE_PROJECT
SEMAPHORE_USE_REMOTE_RUNNER SEMAPHORE_INTEGRATION_ALIAS SEMAPHORE_APPS SEMAPHORE_ENV_VARS
SEMAPHORE_FORWARDED_ENV_VARS
SEMAPHORE_RUNNER_TOKEN SEMAPHORE_RUNNER_TOKEN_FILE SEMAPHORE_RUNNER_ONE_OFF SEMAPHORE_RUNNER_WEBHOOK
SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS
"""
REFERENCE_VARIABLES = set(REFERENCE_VARIABLES_TEXT.split())

REFERENCE_KEYS_TEXT = """
dialect port interface tmp_path ssh_config_path git_client web_host cookie_hash cookie_encryption
access_key_encryption email_alert email_sender email_host email_port email_username email_password email_secure
ldap_enable ldap_binddn ldap_bindpassword ldap_server ldap_searchdn ldap_searchfilter ldap_needtls
ldap_mappings.dn ldap_mappings.mail ldap_mappings.uid ldap_mappings.cn telegram_alert telegram_chat telegram_token
slack_alert slack_url rocketchat_alert rocketchat_url microsoft_teams_alert microsoft_teams_url dingtalk_alert
dingtalk_url gotify_alert gotify_url gotify_token oidc_providers max_task_duration_sec max_tasks_per_template
max_parallel_tasks runner_registration_token password_login_disable non_admin_can_create_project use_remote_runner
global_integration_alias apps env_vars forwarded_env_vars
mysql.host mysql.user mysql.pass mysql.name mysql.options bolt.host postgres.host postgres.options
runner.token runner.token_file runner.one_off runner.webhook runner.max_parallel_tasks
"""
REFERENCE_KEYS = set(REFERENCE_KEYS_TEXT.split())


def setting_env_names() -> set[str]:
    """Every variable of the core's settings and of the first-party plugins' settings."""
    return {name for _, f, _ in documented_settings() for name in env_names(f)}


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


# -- the reference page -------------------------------------------------------------------------


def test_docs_page_is_the_generator_output():
    assert DOCS.read_text() == render(), "run: python -m semaphore.docgen.configuration > docs/configuration.md"


def test_docs_page_lists_every_setting():
    page = DOCS.read_text()
    for name in setting_env_names():
        assert f"`{name}`" in page
    for section in ("SEMAPHORE_CONFIG_PATH", "--no-config", "_FILE", "bolt", "generated-secrets.json",
                    "oidc_providers", "client_secret_file", "SEMAPHORE_ADMIN_PASSWORD", "SEMAPHORE_ADMIN_EMAIL"):
        assert section in page


def test_docs_page_has_a_section_per_plugin_with_settings_after_the_cores():
    sections = [name for name, _ in documented_sections()]
    assert sections == ["core", "auth_ldap", "auth_oidc", "notify_rocketchat", "notify_slack", "notify_teams",
                        "notify_telegram"]
    page = DOCS.read_text()
    assert page.index("### Core") < page.index("### Plugin `auth_ldap`") < page.index("`ldap_enable`")
    # Every plugin of this repository, and no other installed plugin (the examples), is documented.
    assert set(FIRST_PARTY_PLUGINS) == {path.name for path in (DOCS.parents[1] / "plugins").iterdir()
                                        if (path / "pyproject.toml").exists()}
    assert "json_alert" not in page


def test_every_variable_of_the_original_is_a_setting():
    missing = sorted(REFERENCE_VARIABLES - setting_env_names())
    assert not missing


def test_every_key_of_the_original_is_a_setting():
    keys = {path for path, _, _ in documented_settings()}
    assert not sorted(REFERENCE_KEYS - keys)


# -- sources and precedence ---------------------------------------------------------------------


def test_environment_beats_file_beats_defaults(tmp_path):
    path = write_json(tmp_path / "config.json", {"max_parallel_tasks": 3, "web_host": "https://file.example",
                                                  "tmp_path": "/srv/semaphore-tmp"})
    config = load_config(str(path), environ={"SEMAPHORE_WEB_ROOT": "https://env.example"})
    assert config.web_host == "https://env.example"  # env over file
    assert config.max_parallel_tasks == 3  # file over default
    assert config.tmp_path == "/srv/semaphore-tmp"
    assert config.port == ":3000"  # default
    assert load_config(str(path), environ={"SEMAPHORE_MAX_PARALLEL_TASKS": "7"}).max_parallel_tasks == 7


def test_search_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CONFIG_SEARCH_PATHS == ("./config.json", "/usr/local/etc/semaphore/config.json",
                                   "/etc/semaphore/config.json")
    write_json(tmp_path / "config.json", {"web_host": "https://cwd.example"})
    via_env = write_json(tmp_path / "env" / "config.json", {"web_host": "https://env-path.example"})
    explicit = write_json(tmp_path / "explicit.json", {"web_host": "https://explicit.example"})

    assert load_config(environ={}).web_host == "https://cwd.example"
    assert load_config(environ={"SEMAPHORE_CONFIG_PATH": str(via_env)}).web_host == "https://env-path.example"
    assert load_config(str(explicit), environ={"SEMAPHORE_CONFIG_PATH": str(via_env)}).web_host == \
        "https://explicit.example"


def test_no_file_anywhere_means_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if any(Path(p).exists() for p in CONFIG_SEARCH_PATHS[1:]):
        pytest.skip("this machine has a system-wide config.json")
    config = load_config(environ={})
    assert config.dialect == "sqlite" and config.port == ":3000" and config.max_parallel_tasks == 10


def test_config_path_may_name_a_directory(tmp_path):
    write_json(tmp_path / "etc" / "config.json", {"web_host": "https://dir.example"})
    config = load_config(environ={"SEMAPHORE_CONFIG_PATH": str(tmp_path / "etc")})
    assert config.web_host == "https://dir.example"


@pytest.mark.parametrize("how", ["flag", "env", "empty directory"])
def test_named_file_that_is_missing_is_an_error(tmp_path, how):
    if how == "flag":
        call = dict(path=str(tmp_path / "nope.json"), environ={})
    elif how == "env":
        call = dict(environ={"SEMAPHORE_CONFIG_PATH": str(tmp_path / "nope.json")})
    else:
        (tmp_path / "etc").mkdir()
        call = dict(environ={"SEMAPHORE_CONFIG_PATH": str(tmp_path / "etc")})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(**call)


def test_no_config_skips_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_json(tmp_path / "config.json", {"web_host": "https://cwd.example"})
    assert load_config(no_config=True, environ={}).web_host == ""
    # even a named, missing file is not looked for
    config = load_config(str(tmp_path / "missing.json"), no_config=True, environ={"SEMAPHORE_WEB_ROOT": "https://e"})
    assert config.web_host == "https://e"


def test_unreadable_json_names_the_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="config.json"):
        load_config(str(path), environ={})


def test_unknown_key_is_a_warning_not_an_error(tmp_path, caplog):
    path = write_json(tmp_path / "config.json", {"web_host": "https://x.example", "no_such_key": 1,
                                                  "mysql": {"host": "db", "flavour": "x"}})
    with caplog.at_level(logging.WARNING, logger="semaphore.config"):
        config = load_config(str(path), environ={})
    assert config.web_host == "https://x.example"
    assert "no_such_key" in caplog.text and "mysql.flavour" in caplog.text


def test_keys_of_a_plugin_that_is_not_loaded_are_a_warning_not_an_error(tmp_path, caplog):
    """As after uninstalling the LDAP plugin: its keys, even a bad value, are ignored with a warning."""
    path = write_json(tmp_path / "config.json", {"ldap_enable": True, "ldap_timeout": "soon",
                                                  "slack_alert": True})
    with caplog.at_level(logging.WARNING, logger="semaphore.config"):
        config = load_config(str(path), environ={"SEMAPHORE_DISABLE_PLUGINS": "auth_ldap"})
    assert "unknown key ldap_enable ignored" in caplog.text and "ldap_timeout" in caplog.text
    assert "slack_alert" not in caplog.text  # the Slack plugin is loaded: its key is no stranger
    assert "ldap_enable" not in config.public() and config.public()["slack_alert"] is True
    with pytest.raises(ConfigError, match="^ldap_timeout: expected a whole number"):
        load_config(str(path), environ={})  # with the plugin, the bad value stops the start


# -- X_FILE variables ---------------------------------------------------------------------------


def test_file_variable_supplies_the_value(tmp_path):
    (tmp_path / "pass").write_text("s3cret\n")
    (tmp_path / "key").write_text(TEST_KEY + "\n")
    config = load_config(no_config=True, environ={"SEMAPHORE_DB_PASS_FILE": str(tmp_path / "pass"),
                                                  "SEMAPHORE_ACCESS_KEY_ENCRYPTION_FILE": str(tmp_path / "key")})
    assert config.db.password == "s3cret"  # the trailing newline of the file is dropped
    assert config.access_key_encryption == TEST_KEY


def test_file_variable_and_variable_together_is_an_error(tmp_path):
    (tmp_path / "pass").write_text("a")
    with pytest.raises(ConfigError) as info:
        load_config(no_config=True,
                    environ={"SEMAPHORE_DB_PASS": "b", "SEMAPHORE_DB_PASS_FILE": str(tmp_path / "pass")})
    assert "SEMAPHORE_DB_PASS" in info.value.message and "SEMAPHORE_DB_PASS_FILE" in info.value.message


def test_unreadable_file_variable_names_the_variable(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(no_config=True, environ={"SEMAPHORE_LDAP_BIND_PASSWORD_FILE": str(tmp_path / "absent")})
    assert info.value.message.startswith("SEMAPHORE_LDAP_BIND_PASSWORD_FILE:")
    assert str(tmp_path / "absent") in info.value.message


def test_runner_token_file_keeps_its_own_meaning(tmp_path):
    token_file = tmp_path / "runner-token"  # need not exist yet: registration writes it
    config = load_config(no_config=True, environ={"SEMAPHORE_RUNNER_TOKEN_FILE": str(token_file)})
    assert config.runner.token_file == str(token_file)
    assert config.runner.token == ""


def test_a_plugins_file_setting_keeps_its_own_meaning(tmp_path):
    ca_file = tmp_path / "ca.pem"  # SEMAPHORE_LDAP_CA_FILE names the file; it is not read as a value
    (tmp_path / "pw").write_text("s3cret\n")
    config = load_config(no_config=True, environ={"SEMAPHORE_LDAP_CA_FILE": str(ca_file),
                                                  "SEMAPHORE_LDAP_BIND_PASSWORD_FILE": str(tmp_path / "pw")})
    assert config.plugin_settings(LdapSettings).ldap_ca_file == str(ca_file)
    assert config.plugin_settings(LdapSettings).ldap_bindpassword == "s3cret"


# -- bad values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "named"), [
    ({"SEMAPHORE_DB_DIALECT": "oracle"}, "dialect"),
    ({"SEMAPHORE_PORT": "http"}, "port"),
    ({"SEMAPHORE_PORT": "70000"}, "port"),
    ({"SEMAPHORE_MAX_PARALLEL_TASKS": "ten"}, "SEMAPHORE_MAX_PARALLEL_TASKS"),
    ({"SEMAPHORE_MAX_PARALLEL_TASKS": "-1"}, "max_parallel_tasks"),
    ({"SEMAPHORE_EMAIL_ALERT": "maybe"}, "SEMAPHORE_EMAIL_ALERT"),
    ({"SEMAPHORE_APPS": "{not json"}, "SEMAPHORE_APPS"),
    ({"SEMAPHORE_ENV_VARS": "A=1"}, "SEMAPHORE_ENV_VARS"),
    ({"SEMAPHORE_DB_OPTIONS": "[1, 2"}, "SEMAPHORE_DB_OPTIONS"),
    ({"SEMAPHORE_EMAIL_PORT": "smtp"}, "email_port"),
    ({"SEMAPHORE_GIT_CLIENT": "svn"}, "git_client"),
    ({"SEMAPHORE_ACCESS_KEY_ENCRYPTION": "not base64!"}, "access_key_encryption"),
    ({"SEMAPHORE_COOKIE_HASH": "%%%"}, "cookie_hash"),
    ({"SEMAPHORE_DB_DIALECT": "postgres"}, "postgres.host"),
    ({"SEMAPHORE_DB": "a", "SEMAPHORE_DB_NAME": "b"}, "SEMAPHORE_DB_NAME"),
    ({"SEMAPHORE_LOCAL_REPOSITORY_ROOTS": "/srv/repos,repos"}, "local_repository_roots"),
    ({"SEMAPHORE_PASSWORD_MIN_LENGTH": "0"}, "password_min_length"),
    ({"SEMAPHORE_PASSWORD_MIN_LENGTH": "73"}, "password_min_length"),
    ({"SEMAPHORE_TRUSTED_PROXIES": "10.0.0.0/40"}, "trusted_proxies"),
    ({"SEMAPHORE_LDAP_TIMEOUT": "soon"}, "SEMAPHORE_LDAP_TIMEOUT"),
    ({"SEMAPHORE_LDAP_ROLE_MAPPINGS": '[{"group": "g"}]'}, "ldap_role_mappings[0]"),
    ({"SEMAPHORE_SLACK_ALERT": "maybe"}, "SEMAPHORE_SLACK_ALERT"),
])
def test_bad_environment_value_names_the_setting(env, named):
    with pytest.raises(ConfigError) as info:
        load_config(no_config=True, environ=env)
    assert named in info.value.message


@pytest.mark.parametrize(("data", "named"), [
    ({"dialect": "oracle"}, "dialect"),
    ({"port": "abc"}, "port"),
    ({"max_parallel_tasks": "many"}, "max_parallel_tasks"),
    ({"runner": {"max_parallel_tasks": True}}, "runner.max_parallel_tasks"),
    ({"email_secure": "perhaps"}, "email_secure"),
    ({"apps": ["ansible"]}, "apps"),
    ({"mysql": "localhost"}, "mysql"),
    ({"ldap_mappings": {"uid": {"x": 1}}}, "ldap_mappings.uid"),
    ({"local_repository_roots": "/srv/repos"}, "local_repository_roots"),
    ({"ldap_timeout": -1}, "ldap_timeout"),
    ({"telegram_alert": "perhaps"}, "telegram_alert"),
    ({"oidc_providers": ["sso"]}, "oidc_providers"),
])
def test_bad_file_value_names_the_key(tmp_path, data, named):
    path = write_json(tmp_path / "config.json", data)
    with pytest.raises(ConfigError) as info:
        load_config(str(path), environ={})
    assert info.value.message.startswith(named)


def test_values_are_cast_like_the_original():
    config = load_config(no_config=True, environ={
        "SEMAPHORE_EMAIL_ALERT": "YES", "SEMAPHORE_LDAP_NEEDTLS": "1", "SEMAPHORE_MAX_TASK_DURATION_SEC": "600",
        "SEMAPHORE_FORWARDED_ENV_VARS": '["HTTP_PROXY", "NO_PROXY"]', "SEMAPHORE_ENV_VARS": '{"A": "1"}',
        "SEMAPHORE_PORT": "8080"})
    assert config.email_alert is True and config.plugin_settings(LdapSettings).ldap_needtls is True
    assert config.max_task_duration_sec == 600
    assert config.forwarded_env_vars == ["HTTP_PROXY", "NO_PROXY"] and config.env_vars == {"A": "1"}
    assert config.listen_port == 8080


# -- databases ----------------------------------------------------------------------------------


def test_bolt_is_read_as_sqlite(tmp_path, caplog):
    path = write_json(tmp_path / "config.json", {"dialect": "bolt", "bolt": {"host": str(tmp_path / "db.sqlite")},
                                                  "cookie_hash": TEST_KEY, "access_key_encryption": TEST_KEY})
    with caplog.at_level(logging.WARNING, logger="semaphore.config"):
        config = load_config(str(path), environ={})
    assert config.db_dialect == "sqlite" and "bolt" in caplog.text
    engine = create_db_engine(config)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    assert (tmp_path / "db.sqlite").read_bytes().startswith(b"SQLite format 3")


def test_boltdb_file_is_refused_clearly(tmp_path):
    bolt_file = tmp_path / "database.boltdb"
    # A BoltDB file starts with a page header; its meta page carries the magic 0xED0CDAED.
    bolt_file.write_bytes(b"\x00" * 16 + (0xED0CDAED).to_bytes(4, "little") + b"\x02\x00\x00\x00" + b"\x00" * 4072)
    config = load_config(no_config=True, environ={"SEMAPHORE_DB_DIALECT": "bolt", "SEMAPHORE_DB_HOST": str(bolt_file)})
    with pytest.raises(ConfigError) as info:
        create_db_engine(config)
    assert "SEMAPHORE_DB_HOST" in info.value.message and "not an SQLite database" in info.value.message
    assert "bolt.host" in info.value.message
    assert bolt_file.read_bytes()[16:20] == (0xED0CDAED).to_bytes(4, "little")  # left untouched


def test_sqlite_host_is_the_database_file(tmp_path):
    config = load_config(no_config=True, environ={"SEMAPHORE_DB_HOST": str(tmp_path / "x" / "semaphore.db")})
    assert sqlite_path(config) == tmp_path / "x" / "semaphore.db"
    default = load_config(no_config=True, environ={"SEMAPHORE_DATA_DIR": str(tmp_path / "data")})
    assert sqlite_path(default) == tmp_path / "data" / "database.sqlite"


def test_db_variables_apply_to_the_chosen_dialect(tmp_path):
    path = write_json(tmp_path / "config.json", {
        "dialect": "postgres",
        "postgres": {"host": "db.example:5433", "user": "file-user", "name": "sem", "options": {"sslmode": "require"}},
        "mysql": {"host": "mysql.example"}})
    config = load_config(str(path), environ={"SEMAPHORE_DB_USER": "env-user", "SEMAPHORE_DB_PASS": "pw"})
    url = database_url(config)
    assert (url.drivername, url.host, url.port, url.username, url.password, url.database) == (
        "postgresql+psycopg", "db.example", 5433, "env-user", "pw", "sem")
    assert url.query == {"sslmode": "require"}

    mysql = load_config(no_config=True, environ={"SEMAPHORE_DB_DIALECT": "mysql", "SEMAPHORE_DB_HOST": "m.example",
                                                 "SEMAPHORE_DB_NAME": "semdb"})
    url = database_url(mysql)
    assert (url.drivername, url.host, url.port, url.database) == ("mysql+pymysql", "m.example", 3306, "semdb")


def test_without_a_dialect_the_database_block_decides(tmp_path):
    """An old config.json with only a mysql block (and no dialect) keeps using MySQL."""
    path = write_json(tmp_path / "config.json", {"mysql": {"host": "127.0.0.1:3306", "user": "root"}})
    assert load_config(str(path), environ={}).db_dialect == "mysql"
    path = write_json(tmp_path / "config.json", {"postgres": {"host": "pg"}})
    assert load_config(str(path), environ={}).db_dialect == "postgres"
    assert load_config(str(path), environ={"SEMAPHORE_DB_DIALECT": "sqlite"}).db_dialect == "sqlite"


# -- generated secrets --------------------------------------------------------------------------


def test_sqlite_secrets_are_generated_once_and_kept(tmp_path):
    env = {"SEMAPHORE_DB_HOST": str(tmp_path / "db" / "semaphore.sqlite")}
    first = load_config(no_config=True, environ=env)
    ensure_secrets(first)
    stored = tmp_path / "db" / FILE_NAME
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    assert first.cookie_hash and first.access_key_encryption
    assert json.loads(stored.read_text()) == {"cookie_hash": first.cookie_hash,
                                               "access_key_encryption": first.access_key_encryption}
    second = load_config(no_config=True, environ=env)
    ensure_secrets(second)
    assert (second.cookie_hash, second.access_key_encryption) == (first.cookie_hash, first.access_key_encryption)


def test_configured_secrets_are_not_replaced(tmp_path):
    env = {"SEMAPHORE_DATA_DIR": str(tmp_path), "SEMAPHORE_COOKIE_HASH": TEST_KEY,
           "SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY}
    config = load_config(no_config=True, environ=env)
    ensure_secrets(config)
    assert config.cookie_hash == TEST_KEY and config.access_key_encryption == TEST_KEY
    assert not (tmp_path / FILE_NAME).exists()


def test_corrupt_generated_secrets_file_is_a_config_error(tmp_path):
    (tmp_path / FILE_NAME).write_text("{")
    config = load_config(no_config=True, environ={"SEMAPHORE_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match=FILE_NAME):
        ensure_secrets(config)


def test_the_data_directory_and_the_database_files_are_private(tmp_path):
    """They hold password hashes, sessions and encrypted secrets: owner only, even with umask 022."""
    data_dir = tmp_path / "data"
    config = load_config(no_config=True, environ={"SEMAPHORE_DATA_DIR": str(data_dir)})
    old_umask = os.umask(0o022)
    try:
        ensure_secrets(config)
        engine = create_db_engine(config)
        with engine.begin() as connection:  # an open connection keeps the -wal and -shm files
            connection.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO probe VALUES (1)")
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in [data_dir, *data_dir.iterdir()]}
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert modes == {"data": 0o700, FILE_NAME: 0o600, "database.sqlite": 0o600,
                     "database.sqlite-wal": 0o600, "database.sqlite-shm": 0o600}


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_shared_databases_require_the_secrets(tmp_path, dialect):
    base = {"SEMAPHORE_DB_DIALECT": dialect, "SEMAPHORE_DB_HOST": "db.example", "SEMAPHORE_DATA_DIR": str(tmp_path)}
    config = load_config(no_config=True, environ={**base, "SEMAPHORE_COOKIE_HASH": TEST_KEY})
    with pytest.raises(ConfigError) as info:
        ensure_secrets(config)
    assert info.value.message.startswith("access_key_encryption:")
    assert "SEMAPHORE_ACCESS_KEY_ENCRYPTION" in info.value.message
    config = load_config(no_config=True, environ=base)
    with pytest.raises(ConfigError, match="cookie_hash"):
        ensure_secrets(config)
    assert not (tmp_path / FILE_NAME).exists()


# -- showing the configuration ------------------------------------------------------------------


def test_public_view_masks_every_secret():
    secrets = {"SEMAPHORE_DB_PASS": "db-pass-1", "SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY,
               "SEMAPHORE_COOKIE_HASH": TEST_KEY, "SEMAPHORE_LDAP_BIND_PASSWORD": "ldap-pass-2",
               "SEMAPHORE_EMAIL_PASSWORD": "mail-pass-3", "SEMAPHORE_RUNNER_TOKEN": "runner-tok-4",
               "SEMAPHORE_RUNNER_REGISTRATION_TOKEN": "reg-tok-5", "SEMAPHORE_TELEGRAM_TOKEN": "tg-6",
               "SEMAPHORE_SLACK_URL": "https://hooks.slack.example/T0/B0/secret7"}
    config = load_config(no_config=True, environ={**secrets, "SEMAPHORE_DB_USER": "semaphore",
                                                  "SEMAPHORE_WEB_ROOT": "https://ui.example"})
    public = config.public()
    text = json.dumps(public)
    for value in secrets.values():
        assert value not in text
    assert public["sqlite"]["pass"] == "********" and public["runner"]["token"] == "********"
    assert public["access_key_encryption"] == "********" and public["ldap_bindpassword"] == "********"
    assert public["sqlite"]["user"] == "semaphore" and public["web_host"] == "https://ui.example"
    assert public["email_password"] == "********"
    assert set(secrets.values()) <= set(config.secret_values())  # what alert failure reasons are masked with
    assert Config().public()["cookie_hash"] == ""  # nothing to hide: shown as unset


def test_schedule_timezone_must_be_a_known_zone(tmp_path):
    assert load_config(no_config=True, environ={"SEMAPHORE_SCHEDULE_TIMEZONE": "Europe/Berlin"}).schedule.timezone == \
        "Europe/Berlin"
    with pytest.raises(ConfigError, match="schedule.timezone: 'Mars/Olympus' is not a known time zone"):
        load_config(no_config=True, environ={"SEMAPHORE_SCHEDULE_TIMEZONE": "Mars/Olympus"})


def test_the_runners_block_from_file_and_environment(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"runners": {"registration_token": "from-file", "offline_timeout_sec": 45}}))
    config = load_config(str(path), environ={"SEMAPHORE_RUNNERS_TASK_FAIL_TIMEOUT_SEC": "90"})
    assert (config.runners.registration_token, config.runners.offline_timeout_sec, config.runners.task_fail_timeout_sec,
            config.runners.reconcile_interval_sec) == ("from-file", 45, 90, 5)
    assert config.runner_registration_secret == "from-file"
    assert "from-file" in config.secret_values() and "from-file" not in json.dumps(config.public())


def test_the_registration_token_falls_back_to_the_older_key():
    older = load_config(no_config=True, environ={"SEMAPHORE_RUNNER_REGISTRATION_TOKEN": "older"})
    assert older.runner_registration_secret == "older"
    both = load_config(no_config=True, environ={"SEMAPHORE_RUNNER_REGISTRATION_TOKEN": "older",
                                                "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": "newer"})
    assert both.runner_registration_secret == "newer"
    assert load_config(no_config=True, environ={}).runner_registration_secret == ""


@pytest.mark.parametrize("name", ["OFFLINE_TIMEOUT_SEC", "TASK_FAIL_TIMEOUT_SEC", "RECONCILE_INTERVAL_SEC"])
def test_runner_timeouts_must_be_positive(name):
    with pytest.raises(ConfigError, match=f"runners.{name.lower()}: must be at least 1"):
        load_config(no_config=True, environ={f"SEMAPHORE_RUNNERS_{name}": "0"})
