"""One typed configuration from config.json, SEMAPHORE_* environment variables and defaults.

Order of precedence (lowest first): defaults, config.json, environment. Every setting is a
dataclass field whose metadata names its environment variable and explains it; the loader, the
validation and docs/configuration.md are all driven by those fields, so they cannot drift apart.
Names of keys and variables are the original Semaphore's.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from semaphore.crypto import parse_key
from semaphore.errors import ConfigError
from semaphore.passwords import MAX_PASSWORD_BYTES
from semaphore.trusted_proxies import parse_networks

log = logging.getLogger(__name__)

CONFIG_SEARCH_PATHS = ("./config.json", "/usr/local/etc/semaphore/config.json", "/etc/semaphore/config.json")
DIALECTS = ("sqlite", "mysql", "postgres")
DIALECT_ALIASES = {"bolt": "sqlite"}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def setting(default: Any, env: str | None = None, help: str = "", json_key: str | None = None,
            secret: bool = False, choices: tuple[str, ...] | None = None,
            pattern: str | None = None, env_alias: str | None = None) -> Any:
    """Declare one configuration field (``env_alias``: a second variable the original also reads)."""
    meta = {"env": env, "help": help, "json_key": json_key, "secret": secret,
            "choices": choices, "pattern": pattern, "env_alias": env_alias}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "semaphore")


@dataclass
class DbConfig:
    host: str = setting("", "SEMAPHORE_DB_HOST", "SQLite: database file path. MySQL/PostgreSQL: host[:port].")
    user: str = setting("", "SEMAPHORE_DB_USER", "Database user.")
    password: str = setting("", "SEMAPHORE_DB_PASS", "Database password.", json_key="pass", secret=True)
    name: str = setting("", "SEMAPHORE_DB", "Database name.", env_alias="SEMAPHORE_DB_NAME")
    options: dict[str, str] = setting({}, "SEMAPHORE_DB_OPTIONS", "Extra connection options (JSON object), passed as URL query parameters.")


@dataclass
class LdapMappings:
    dn: str = setting("dn", "SEMAPHORE_LDAP_MAPPING_DN", "What the user binds as (claim expression); default the entry's DN.")
    mail: str = setting("mail", "SEMAPHORE_LDAP_MAPPING_MAIL", "Attribute (claim expression) holding the e-mail address.")
    uid: str = setting("uid", "SEMAPHORE_LDAP_MAPPING_UID", "Attribute (claim expression) holding the login.")
    cn: str = setting("cn", "SEMAPHORE_LDAP_MAPPING_CN", "Attribute (claim expression) holding the display name.")
    groups: str = setting("memberOf", "SEMAPHORE_LDAP_MAPPING_GROUPS",
                          "Attribute of the user's entry listing its groups' DNs (without a group search).")


@dataclass
class TotpConfig:
    enabled: bool = setting(False, "SEMAPHORE_TOTP_ENABLED",
                            "Let users turn on TOTP two-factor authentication; enrolled users then log in with a code.")
    allow_recovery: bool = setting(False, "SEMAPHORE_TOTP_ALLOW_RECOVERY",
                                   "Give enrolling users one-time recovery codes that stand in for a code at login.")


@dataclass
class AuthConfig:
    totp: TotpConfig = field(default_factory=TotpConfig)


@dataclass
class ScheduleConfig:
    timezone: str = setting("UTC", "SEMAPHORE_SCHEDULE_TIMEZONE",
                            "Time zone cron schedules run in (an IANA name such as Europe/Berlin), unless a schedule names its own.")
    tick_seconds: int = setting(5, "SEMAPHORE_SCHEDULE_TICK_SECONDS",
                                "Seconds (1-60) between each server's looks for due schedules; a schedule fires at most this late.")


@dataclass
class RunnerConfig:
    token: str = setting("", "SEMAPHORE_RUNNER_TOKEN", "Runner token (remote runner side).", secret=True)
    token_file: str = setting("", "SEMAPHORE_RUNNER_TOKEN_FILE", "File the runner reads its token from and writes it to on registration.")
    registration_token: str = setting("", "SEMAPHORE_RUNNER_REGISTRATION_TOKEN", "Token the runner presents when registering.", secret=True)
    one_off: bool = setting(False, "SEMAPHORE_RUNNER_ONE_OFF", "Run one job, then exit.")
    webhook: str = setting("", "SEMAPHORE_RUNNER_WEBHOOK", "URL the server calls when the runner starts and finishes a job.")
    max_parallel_tasks: int = setting(1, "SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS", "Jobs this runner takes at once.")
    private_key_file: str = setting("", "SEMAPHORE_RUNNER_PRIVATE_KEY_FILE", "Where the runner keeps its RSA private key.")


@dataclass
class Config:
    dialect: str = setting("sqlite", "SEMAPHORE_DB_DIALECT", "Database: sqlite (embedded default), postgres or mysql. 'bolt' is read as sqlite.",
                           choices=DIALECTS + tuple(DIALECT_ALIASES))
    sqlite: DbConfig = field(default_factory=DbConfig)
    bolt: DbConfig = field(default_factory=DbConfig)
    mysql: DbConfig = field(default_factory=DbConfig)
    postgres: DbConfig = field(default_factory=DbConfig)
    data_dir: str = setting("", "SEMAPHORE_DATA_DIR", "Where the embedded database and generated secrets live. Default: $XDG_DATA_HOME/semaphore.")

    port: str = setting(":3000", "SEMAPHORE_PORT", "TCP port to listen on (':3000' or '3000').", pattern=r"^:?\d{1,5}$")
    interface: str = setting("", "SEMAPHORE_INTERFACE", "Address to listen on; empty means all interfaces.")
    tmp_path: str = setting("/tmp/semaphore", "SEMAPHORE_TMP_PATH", "Working directory for repository clones, inventories and keys.")
    ssh_config_path: str = setting("", "SEMAPHORE_SSH_PATH", "ssh_config file passed to git over SSH (ssh -F).")
    git_client: str = setting("cmd_git", "SEMAPHORE_GIT_CLIENT", "Git implementation; cmd_git (go_git is accepted and treated alike).",
                              choices=("cmd_git", "go_git"))
    web_host: str = setting("", "SEMAPHORE_WEB_ROOT", "Public URL of this server, used in links, alerts and webhook URLs.")

    cookie_hash: str = setting("", "SEMAPHORE_COOKIE_HASH", "Base64 key that signs session cookies. Generated when empty.", secret=True)
    cookie_encryption: str = setting("", "SEMAPHORE_COOKIE_ENCRYPTION", "Base64 key (accepted for compatibility).", secret=True)
    access_key_encryption: str = setting("", "SEMAPHORE_ACCESS_KEY_ENCRYPTION", "Base64 of 32 bytes: AES-256-GCM key for stored secrets. Generated when empty.", secret=True)

    email_alert: bool = setting(False, "SEMAPHORE_EMAIL_ALERT", "Send e-mail alerts.")
    email_sender: str = setting("", "SEMAPHORE_EMAIL_SENDER", "From address of alerts.")
    email_host: str = setting("", "SEMAPHORE_EMAIL_HOST", "SMTP host.")
    email_port: str = setting("", "SEMAPHORE_EMAIL_PORT", "SMTP port.", pattern=r"^\d*$")
    email_username: str = setting("", "SEMAPHORE_EMAIL_USERNAME", "SMTP user.")
    email_password: str = setting("", "SEMAPHORE_EMAIL_PASSWORD", "SMTP password.", secret=True)
    email_secure: bool = setting(False, "SEMAPHORE_EMAIL_SECURE", "Authenticate and use STARTTLS.")

    ldap_enable: bool = setting(False, "SEMAPHORE_LDAP_ENABLE", "Log in against LDAP.")
    ldap_binddn: str = setting("", "SEMAPHORE_LDAP_BIND_DN", "Service account DN.")
    ldap_bindpassword: str = setting("", "SEMAPHORE_LDAP_BIND_PASSWORD", "Service account password.", secret=True)
    ldap_server: str = setting("", "SEMAPHORE_LDAP_SERVER", "LDAP server host:port.")
    ldap_searchdn: str = setting("", "SEMAPHORE_LDAP_SEARCH_DN", "Base DN of the user search.")
    ldap_searchfilter: str = setting("", "SEMAPHORE_LDAP_SEARCH_FILTER", "Search filter, '%s' is the login, e.g. (uid=%s).")
    ldap_needtls: bool = setting(False, "SEMAPHORE_LDAP_NEEDTLS", "Connect with TLS (LDAPS).")
    ldap_starttls: bool = setting(False, "SEMAPHORE_LDAP_STARTTLS", "Upgrade the plain connection with StartTLS.")
    ldap_ca_file: str = setting("", "SEMAPHORE_LDAP_CA_FILE",
                                "CA certificates (PEM) the server's TLS certificate must chain to; empty = not verified, as the original.")
    ldap_timeout: int = setting(10, "SEMAPHORE_LDAP_TIMEOUT", "Seconds to wait for the LDAP server to connect and answer.")
    ldap_mappings: LdapMappings = field(default_factory=LdapMappings)
    ldap_group_searchdn: str = setting("", "SEMAPHORE_LDAP_GROUP_SEARCH_DN",
                                       "Base DN of a group search; empty = groups from the user's ldap_mappings.groups attribute.")
    ldap_group_searchfilter: str = setting("(member=%s)", "SEMAPHORE_LDAP_GROUP_SEARCH_FILTER",
                                           "Group search filter, '%s' is the user's DN.")
    ldap_role_mappings: list[dict[str, Any]] = setting([], "SEMAPHORE_LDAP_ROLE_MAPPINGS",
                                                       "Groups that grant admin or project roles (JSON array, see docs/ldap.md).")

    telegram_alert: bool = setting(False, "SEMAPHORE_TELEGRAM_ALERT", "Send Telegram alerts.")
    telegram_chat: str = setting("", "SEMAPHORE_TELEGRAM_CHAT", "Telegram chat id.")
    telegram_token: str = setting("", "SEMAPHORE_TELEGRAM_TOKEN", "Telegram bot token.", secret=True)
    telegram_api_url: str = setting("https://api.telegram.org", "SEMAPHORE_TELEGRAM_API_URL",
                                    "Base URL of the Telegram Bot API (a proxy, or a local server in tests).")
    slack_alert: bool = setting(False, "SEMAPHORE_SLACK_ALERT", "Send Slack alerts.")
    slack_url: str = setting("", "SEMAPHORE_SLACK_URL", "Slack incoming webhook URL.", secret=True)
    rocketchat_alert: bool = setting(False, "SEMAPHORE_ROCKETCHAT_ALERT", "Send Rocket.Chat alerts.")
    rocketchat_url: str = setting("", "SEMAPHORE_ROCKETCHAT_URL", "Rocket.Chat webhook URL.", secret=True)
    microsoft_teams_alert: bool = setting(False, "SEMAPHORE_MICROSOFT_TEAMS_ALERT", "Send Microsoft Teams alerts.")
    microsoft_teams_url: str = setting("", "SEMAPHORE_MICROSOFT_TEAMS_URL", "Teams webhook URL.", secret=True)
    dingtalk_alert: bool = setting(False, "SEMAPHORE_DINGTALK_ALERT", "Send DingTalk alerts.")
    dingtalk_url: str = setting("", "SEMAPHORE_DINGTALK_URL", "DingTalk webhook URL.", secret=True)
    gotify_alert: bool = setting(False, "SEMAPHORE_GOTIFY_ALERT", "Send Gotify alerts.")
    gotify_url: str = setting("", "SEMAPHORE_GOTIFY_URL", "Gotify server URL.")
    gotify_token: str = setting("", "SEMAPHORE_GOTIFY_TOKEN", "Gotify application token.", secret=True)

    oidc_providers: dict[str, Any] = setting({}, None, "OpenID Connect providers by id (see docs/configuration.md).")

    max_task_duration_sec: int = setting(0, "SEMAPHORE_MAX_TASK_DURATION_SEC", "Stop tasks running longer than this; 0 = no limit.")
    max_tasks_per_template: int = setting(0, "SEMAPHORE_MAX_TASKS_PER_TEMPLATE", "Keep only the newest N finished tasks per template; 0 = keep all.")
    max_parallel_tasks: int = setting(10, "SEMAPHORE_MAX_PARALLEL_TASKS", "Tasks running at once on this server; 0 = unlimited.")
    runner_registration_token: str = setting("", "SEMAPHORE_RUNNER_REGISTRATION_TOKEN", "Token runners register with; empty disables registration.", secret=True)
    password_login_disable: bool = setting(False, "SEMAPHORE_PASSWORD_LOGIN_DISABLED", "Refuse password logins (LDAP and OIDC only).")
    non_admin_can_create_project: bool = setting(False, "SEMAPHORE_NON_ADMIN_CAN_CREATE_PROJECT", "Let every user create projects.")
    use_remote_runner: bool = setting(False, "SEMAPHORE_USE_REMOTE_RUNNER", "Run every task on remote runners.")
    global_integration_alias: str = setting("", "SEMAPHORE_INTEGRATION_ALIAS", "Webhook alias that reaches every searchable integration.")
    apps: dict[str, Any] = setting({}, "SEMAPHORE_APPS", "Per-app settings by app id: {active, priority, title, icon, color, dark_color, path, args}.")
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    env_vars: dict[str, str] = setting({}, "SEMAPHORE_ENV_VARS", "Environment variables added to every task process (JSON object).")
    forwarded_env_vars: list[str] = setting([], "SEMAPHORE_FORWARDED_ENV_VARS", "Server environment variables copied into task processes (JSON array).")

    plugins: list[str] = setting([], "SEMAPHORE_PLUGINS", "Allow-list of entry-point plugins to load (comma-separated or JSON); empty = all.")
    disable_plugins: list[str] = setting([], "SEMAPHORE_DISABLE_PLUGINS", "Entry-point plugins not to load (comma-separated or JSON).")
    plugins_strict: bool = setting(False, "SEMAPHORE_PLUGINS_STRICT", "Fail instead of skipping a plugin that cannot load (tests, CI).")
    web_threads: int = setting(32, "SEMAPHORE_WEB_THREADS", "HTTP worker threads; each open websocket holds one.")
    session_idle_days: int = setting(7, "SEMAPHORE_SESSION_IDLE_DAYS", "A login session unused for this many days expires.")
    password_min_length: int = setting(8, "SEMAPHORE_PASSWORD_MIN_LENGTH",
                                       "Fewest characters a new password may have (API, web UI, `semaphore user`); existing passwords keep working.")
    trusted_proxies: list[str] = setting([], "SEMAPHORE_TRUSTED_PROXIES",
                                         "Reverse proxies (addresses or CIDR networks; comma-separated or JSON) whose X-Forwarded-For names the client; "
                                         "the right-most address there that is no trusted proxy is the client. Empty: the direct peer is the client.")
    task_stop_grace_sec: int = setting(10, "SEMAPHORE_TASK_STOP_GRACE_SEC", "Seconds a stopped task's processes get after SIGTERM before SIGKILL.")
    task_run_as_user: str = setting("", "SEMAPHORE_TASK_RUN_AS_USER", "OS user task processes run as (the server must run as root); empty = the server's user.")
    task_chroot: str = setting("", "SEMAPHORE_TASK_CHROOT", "Directory task processes are chrooted into (root only; tmp_path must lie inside it).")
    local_repository_roots: list[str] = setting([], "SEMAPHORE_LOCAL_REPOSITORY_ROOTS",
                                                "Absolute directories (comma-separated or JSON) under which project managers may use local-path and "
                                                "file:// repositories; elsewhere only system administrators may (see docs/tasks.md).")
    auth: AuthConfig = field(default_factory=AuthConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    # -- derived values ---------------------------------------------------------------

    @property
    def db_dialect(self) -> str:
        return DIALECT_ALIASES.get(self.dialect, self.dialect)

    @property
    def db(self) -> DbConfig:
        """The connection block of the chosen dialect (bolt settings serve sqlite)."""
        block: DbConfig = getattr(self, self.dialect)
        if self.dialect == "sqlite" and not block.host and self.bolt.host:
            return self.bolt
        return block

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir or default_data_dir())

    @property
    def listen_host(self) -> str:
        return self.interface or "0.0.0.0"

    @property
    def listen_port(self) -> int:
        return int(self.port.lstrip(":"))

    def public(self) -> dict[str, Any]:
        """The configuration as JSON with every secret masked."""
        return _masked(self)


# -- loading -----------------------------------------------------------------------------


def find_config_file(explicit: str | None, environ: Mapping[str, str]) -> Path | None:
    candidate = explicit or environ.get("SEMAPHORE_CONFIG_PATH")
    if candidate:
        path = Path(candidate)
        if path.is_dir():
            path = path / "config.json"
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    for name in CONFIG_SEARCH_PATHS:
        if Path(name).is_file():
            return Path(name)
    return None


def load_config(path: str | None = None, *, no_config: bool = False,
                environ: Mapping[str, str] | None = None) -> Config:
    """Build the Config: defaults, then the file (unless ``no_config``), then the environment."""
    env = resolve_file_variables(dict(os.environ if environ is None else environ))
    data: dict[str, Any] = {}
    if not no_config:
        config_file = find_config_file(path, env)
        if config_file:
            data = read_json_object(config_file)
    config = Config()
    _apply_mapping(config, data, prefix="")
    if not data.get("dialect"):
        config.dialect = _dialect_of_blocks(data) or config.dialect
    _apply_environment(config, env)
    _fill_empty_defaults(config)
    validate(config)
    return config


def read_json_object(path: Path, what: str = "config file") -> dict[str, Any]:
    """A JSON file whose top level must be an object; any problem is a ConfigError naming it."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path}: top level must be a JSON object")
    return data


def resolve_file_variables(env: dict[str, str]) -> dict[str, str]:
    """SEMAPHORE_X_FILE=path gives SEMAPHORE_X the file's content; setting both is an error.

    Variables that are themselves settings (SEMAPHORE_RUNNER_TOKEN_FILE, ...) keep their meaning.
    """
    own = setting_env_names()
    for name in [n for n in env if n.startswith("SEMAPHORE_") and n.endswith("_FILE") and n not in own]:
        target = name[: -len("_FILE")]
        if env.get(target):
            raise ConfigError(f"both {target} and {name} are set; use one of them")
        try:
            env[target] = Path(env[name]).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read {env[name]}: {exc.strerror}") from exc
        del env[name]
    return env


def iter_settings(obj: type | Any = Config, prefix: str = ""):
    """Yield (json_path, dataclass field, owner class) for every leaf setting."""
    cls = obj if isinstance(obj, type) else type(obj)
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f.metadata.get("json_key") or f.name
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            yield from iter_settings(hint, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", f, cls


def setting_env_names() -> set[str]:
    return {name for _, f, _ in iter_settings() for name in (f.metadata.get("env"), f.metadata.get("env_alias")) if name}


def _apply_mapping(target: Any, data: Mapping[str, Any], prefix: str) -> None:
    hints = get_type_hints(type(target))
    by_key = {(f.metadata.get("json_key") or f.name): f for f in dataclasses.fields(target)}
    for key, value in data.items():
        f = by_key.get(key)
        if f is None:
            log.warning("config: unknown key %s%s ignored", prefix, key)
            continue
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"{prefix}{key}: must be a JSON object")
            _apply_mapping(getattr(target, f.name), value, f"{prefix}{key}.")
        else:
            setattr(target, f.name, _coerce(value, hint, f"{prefix}{key}"))


def _dialect_of_blocks(data: Mapping[str, Any]) -> str | None:
    """As the original: without a dialect, the first database block with a host decides."""
    for name in ("mysql", "bolt", "postgres"):
        block = data.get(name)
        if isinstance(block, dict) and block.get("host"):
            return name
    return None


def _env_value(env: Mapping[str, str], f: dataclasses.Field[Any]) -> tuple[str, str] | None:
    """(variable, raw value) of a setting, from its variable or its alias; None when neither is set."""
    found = [(name, env[name]) for name in (f.metadata.get("env"), f.metadata.get("env_alias"))
             if name and name in env]
    if len(found) == 2 and found[0][1] != found[1][1]:
        raise ConfigError(f"{found[0][0]} and {found[1][0]} are both set, to different values; use one of them")
    return found[0] if found else None


def _apply_environment(config: Config, env: Mapping[str, str]) -> None:
    for path, f, owner in iter_settings():
        found = _env_value(env, f)
        if found is None:
            continue
        name, raw = found
        value = _parse_env(raw, get_type_hints(owner)[f.name], name)
        for target in _owners_of(config, path, owner):
            setattr(target, f.name, value)


def _owners_of(config: Config, path: str, owner: type) -> list[Any]:
    """The objects a setting lives on; SEMAPHORE_DB_* apply to every database block alike."""
    if owner is DbConfig:
        return [config.sqlite, config.bolt, config.mysql, config.postgres]
    target: Any = config
    for part in path.split(".")[:-1]:
        target = getattr(target, part)
    return [target]


def _fill_empty_defaults(config: Config) -> None:
    for path, f, owner in iter_settings():
        if f.default not in ("", dataclasses.MISSING) and owner is not DbConfig:
            for target in _owners_of(config, path, owner):
                if getattr(target, f.name) == "":
                    setattr(target, f.name, f.default)


def _parse_env(raw: str, hint: Any, name: str) -> Any:
    if hint is bool:
        return _parse_bool(raw, name)
    if hint is int:
        return _parse_int(raw, name)
    if hint is str:
        return raw
    text = raw.strip()
    if text.startswith(("[", "{")):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{name}: not valid JSON: {exc}") from exc
        return _coerce(value, hint, name)
    if _origin(hint) is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    raise ConfigError(f"{name}: expected a JSON object")


def _parse_bool(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _parse_int(raw: Any, name: str) -> int:
    if isinstance(raw, bool):
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}")
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None


def _origin(hint: Any) -> Any:
    return getattr(hint, "__origin__", hint)


def _coerce(value: Any, hint: Any, name: str) -> Any:
    if hint is bool:
        return _parse_bool(value, name)
    if hint is int:
        return _parse_int(value, name)
    if hint is str:
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{name}: expected a string")
        return "" if value is None else str(value)
    origin = _origin(hint)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a JSON object")
        return dict(value)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{name}: expected a JSON array")
        if _origin(getattr(hint, "__args__", (str,))[0]) is dict:
            if not all(isinstance(item, dict) for item in value):
                raise ConfigError(f"{name}: expected a JSON array of objects")
            return [dict(item) for item in value]
        return [str(item) for item in value]
    return value


def validate(config: Config) -> None:
    for path, f, owner in iter_settings():
        if owner is DbConfig:
            continue
        value = getattr(_owners_of(config, path, owner)[0], f.name)
        choices, pattern = f.metadata.get("choices"), f.metadata.get("pattern")
        if choices and value not in choices:
            raise ConfigError(f"{path}: {value!r} is not one of {', '.join(choices)}")
        if pattern and not re.fullmatch(pattern, str(value)):
            raise ConfigError(f"{path}: {value!r} is not valid")
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{path}: must not be negative")
    if not 0 < config.listen_port < 65536:
        raise ConfigError(f"port: {config.port!r} is out of range")
    if config.dialect in DIALECT_ALIASES:
        log.warning("config: dialect %r is read as %r", config.dialect, config.db_dialect)
    if config.db_dialect != "sqlite" and not config.db.host:
        raise ConfigError(f"{config.dialect}.host: required for the {config.dialect} dialect")
    if config.access_key_encryption:
        parse_key(config.access_key_encryption)
    for root in config.local_repository_roots:
        if not os.path.isabs(root):
            raise ConfigError(f"local_repository_roots: {root!r} is not an absolute path")
    parse_networks(config.trusted_proxies)
    if not 1 <= config.password_min_length <= MAX_PASSWORD_BYTES:
        raise ConfigError(f"password_min_length: must be from 1 to {MAX_PASSWORD_BYTES} (bcrypt reads at most "
                          f"{MAX_PASSWORD_BYTES} bytes)")
    try:
        ZoneInfo(config.schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone: {config.schedule.timezone!r} is not a known time zone "
                          "(use an IANA name such as UTC or Europe/Berlin)") from None
    if not 1 <= config.schedule.tick_seconds <= 60:  # slower ticks would run into the missed-fire grace window
        raise ConfigError("schedule.tick_seconds: must be between 1 and 60")
    from semaphore.services.role_mappings import parse_role_mappings  # imports the models: only here
    parse_role_mappings(config.ldap_role_mappings, "ldap_role_mappings")
    for name in ("cookie_hash", "cookie_encryption"):
        try:
            base64.b64decode(getattr(config, name), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{name}: not valid base64") from None


def _masked(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        key = f.metadata.get("json_key") or f.name
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out[key] = _masked(value)
        elif f.metadata.get("secret") and value:
            out[key] = "********"
        else:
            out[key] = value
    return out


def to_json_dict(config: Config) -> dict[str, Any]:
    """config.json content for ``config`` (what `semaphore setup` writes)."""
    def dump(obj: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            result[f.metadata.get("json_key") or f.name] = dump(value) if dataclasses.is_dataclass(value) else value
        return result
    return dump(config)
