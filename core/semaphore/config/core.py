"""The core's settings: :class:`Config` and the blocks nested in it.

Every setting is a field declared with :func:`~semaphore.config.fields.setting`; names of keys and
variables are the original Semaphore's. Plugins declare their own settings (``register_settings``)
and find them with :meth:`Config.plugin_settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from semaphore.config.fields import setting
from semaphore.config.plugin_sections import PluginSections
from semaphore.config.sections import as_json, masked, secret_values

T = TypeVar("T")

DIALECTS = ("sqlite", "mysql", "postgres")
DIALECT_ALIASES = {"bolt": "sqlite"}


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
    """The remote runner's side (`semaphore runner ...`); its server is the top-level ``web_host``."""

    token: str = setting("", "SEMAPHORE_RUNNER_TOKEN", "Runner token (remote runner side); `semaphore runner register` writes it here when there is no token_file.", secret=True)
    token_file: str = setting("", "SEMAPHORE_RUNNER_TOKEN_FILE", "File the runner reads its token from and writes it to on registration (mode 0600).")
    registration_token: str = setting("", "SEMAPHORE_RUNNER_REGISTRATION_TOKEN", "Token the runner presents when registering (the server's runner_registration_token, or a one-time token).", secret=True)
    name: str = setting("", "SEMAPHORE_RUNNER_NAME", "Name the runner registers with. Default: this machine's host name.")
    tags: list[str] = setting([], "SEMAPHORE_RUNNER_TAGS", "Tags the runner registers with; templates choose runners by tag (comma-separated or JSON).")
    one_off: bool = setting(False, "SEMAPHORE_RUNNER_ONE_OFF", "Run one job, then exit.")
    webhook: str = setting("", "SEMAPHORE_RUNNER_WEBHOOK", "URL the server calls when the runner starts and finishes a job.")
    max_parallel_tasks: int = setting(1, "SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS", "Jobs this runner takes at once.")
    private_key_file: str = setting("", "SEMAPHORE_RUNNER_PRIVATE_KEY_FILE", "Where the runner keeps the X25519 private key made at registration (mode 0600). "
                                    "Default: beside the token, the token file's (or else the config file's) name + .key.")
    ca_file: str = setting("", "SEMAPHORE_RUNNER_CA_FILE", "PEM file of the certificate authorities trusted for the server's HTTPS certificate. Default: the system's.")
    skip_verify: bool = setting(False, "SEMAPHORE_RUNNER_SKIP_VERIFY", "Accept any HTTPS certificate from the server (testing only: anyone in between can then read the runner's token).")


@dataclass
class RunnersConfig:
    """The server's side of remote runners (the ``runners`` block)."""

    registration_token: str = setting("", "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN",
                                      "Token runners register with; empty: runner_registration_token, and if that is "
                                      "empty too, only one-time tokens made in the UI or API register runners.",
                                      secret=True)
    offline_timeout_sec: int = setting(30, "SEMAPHORE_RUNNERS_OFFLINE_TIMEOUT_SEC",
                                       "A runner that has not polled for this many seconds is offline.")
    task_fail_timeout_sec: int = setting(60, "SEMAPHORE_RUNNERS_TASK_FAIL_TIMEOUT_SEC",
                                         "A running task of a runner offline this many seconds ends as error.")
    reconcile_interval_sec: int = setting(5, "SEMAPHORE_RUNNERS_RECONCILE_INTERVAL_SEC",
                                          "Seconds between the server's checks for offline runners and their tasks.")


@dataclass
class HaRedisConfig:
    """The Redis of several server processes (``ha.redis``); required for several nodes on MySQL/MariaDB."""

    addr: str = setting("", "SEMAPHORE_HA_REDIS_ADDR", "Redis address, host:port (e.g. 127.0.0.1:6379).")
    db: int = setting(0, "SEMAPHORE_HA_REDIS_DB", "Redis database number.")
    password: str = setting("", "SEMAPHORE_HA_REDIS_PASS", "Redis password.", json_key="pass", secret=True)
    user: str = setting("", "SEMAPHORE_HA_REDIS_USER", "Redis user (ACL); empty: the default user.")
    tls: bool = setting(False, "SEMAPHORE_HA_REDIS_TLS", "Connect to Redis over TLS.")
    tls_skip_verify: bool = setting(False, "SEMAPHORE_HA_REDIS_TLS_SKIP_VERIFY",
                                    "Accept any certificate from Redis (testing only).")


@dataclass
class HaConfig:
    """Several server processes on one database (the ``ha`` block): see docs/high-availability.md."""

    enabled: bool = setting(False, "SEMAPHORE_HA_ENABLED",
                            "Use Redis (ha.redis) as the cluster bus between server processes. Without it, several "
                            "nodes on PostgreSQL use its LISTEN/NOTIFY; SQLite is single-node.")
    node_id: str = setting("", "SEMAPHORE_HA_NODE_ID",
                           "This server's node id (each worker adds -<n>); empty: generated from the host name.",
                           pattern=r"^[A-Za-z0-9._-]{0,48}$")
    redis: HaRedisConfig = field(default_factory=HaRedisConfig)


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
    # Read as the original reads them; no channel sends to DingTalk or Gotify yet.
    dingtalk_alert: bool = setting(False, "SEMAPHORE_DINGTALK_ALERT", "Send DingTalk alerts.")
    dingtalk_url: str = setting("", "SEMAPHORE_DINGTALK_URL", "DingTalk webhook URL.", secret=True)
    gotify_alert: bool = setting(False, "SEMAPHORE_GOTIFY_ALERT", "Send Gotify alerts.")
    gotify_url: str = setting("", "SEMAPHORE_GOTIFY_URL", "Gotify server URL.")
    gotify_token: str = setting("", "SEMAPHORE_GOTIFY_TOKEN", "Gotify application token.", secret=True)

    max_task_duration_sec: int = setting(0, "SEMAPHORE_MAX_TASK_DURATION_SEC", "Stop tasks running longer than this; 0 = no limit.")
    max_tasks_per_template: int = setting(0, "SEMAPHORE_MAX_TASKS_PER_TEMPLATE", "Keep only the newest N finished tasks per template; 0 = keep all.")
    max_parallel_tasks: int = setting(10, "SEMAPHORE_MAX_PARALLEL_TASKS", "Tasks running at once on this server; 0 = unlimited.")
    runner_registration_token: str = setting("", "SEMAPHORE_RUNNER_REGISTRATION_TOKEN",
                                             "Token runners register with (the older name of runners.registration_token).",
                                             secret=True)
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
    web_workers: int = setting(1, "SEMAPHORE_WEB_WORKERS",
                               "Server processes (gunicorn workers), each a full node (`semaphore server --workers N`); "
                               "more than one needs PostgreSQL, or MySQL with ha.redis.")
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
    runners: RunnersConfig = field(default_factory=RunnersConfig)
    ha: HaConfig = field(default_factory=HaConfig)

    #: The settings plugins declare (``register_settings``): no keys of the core's own.
    plugin_sections: PluginSections = field(default_factory=PluginSections, repr=False, compare=False)

    #: Blocks that share their variables: SEMAPHORE_DB_* apply to every database block alike.
    SHARED_BLOCKS: ClassVar[dict[type, tuple[str, ...]]] = {DbConfig: ("sqlite", "bolt", "mysql", "postgres")}

    def plugin_settings(self, settings_class: type[T]) -> T:
        """The object of a settings class a plugin registered with ``register_settings``, loaded
        from config.json and the environment (a bad value raises ConfigError naming it)."""
        return self.plugin_sections.get(settings_class)

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
    def runner_registration_secret(self) -> str:
        """The global registration token runners present: runners.registration_token, else the
        older runner_registration_token; empty when neither is set (one-time tokens only)."""
        return self.runners.registration_token or self.runner_registration_token

    @property
    def listen_host(self) -> str:
        return self.interface or "0.0.0.0"

    @property
    def listen_port(self) -> int:
        return int(self.port.lstrip(":"))

    def public(self) -> dict[str, Any]:
        """The configuration as JSON, the plugins' settings included, with every secret masked."""
        public = masked(self)
        for _, settings in self.plugin_sections.by_plugin():
            public.update(masked(settings))
        return public

    def secret_values(self) -> list[str]:
        """Every secret setting's value that is set (webhook URLs, tokens, passwords), the
        plugins' included: what must never show in a log."""
        values = secret_values(self)
        for _, settings in self.plugin_sections.by_plugin():
            values.extend(secret_values(settings))
        return values


def to_json_dict(config: Config) -> dict[str, Any]:
    """config.json content for ``config``, the plugins' settings included (what `semaphore setup` writes)."""
    content = as_json(config)
    for _, settings in config.plugin_sections.by_plugin():
        content.update(as_json(settings))
    return content
