"""The `semaphore` command line: the original's commands and options, on click.

Commands only parse options, call services and print; the rules live in the services. Every
error a user can cause ends with one line, ``semaphore: error: <message>``, on stderr and a
non-zero exit status, never with a traceback.

Plugins add commands through the ``register_commands`` hook. They are loaded before the command
line is parsed, so only the environment (``SEMAPHORE_PLUGINS``, ``SEMAPHORE_DISABLE_PLUGINS``)
chooses them; a plugin's command reaches the configuration through ``click.get_current_context()
.obj.config()``.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as DbSession

from semaphore.config import Config, load_config
from semaphore.errors import PluginError, SemaphoreError, ValidationError
from semaphore.version import __version__

PROG = "semaphore"
LOG_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR,
              "FATAL": logging.CRITICAL, "PANIC": logging.CRITICAL}
ALIASES = {"service": "server", "users": "user", "vaults": "vault"}
PLUGIN_ENV = ("SEMAPHORE_PLUGINS", "SEMAPHORE_DISABLE_PLUGINS", "SEMAPHORE_PLUGINS_STRICT")
FLAG_OF_FIELD = {"username": "--login", "name": "--name", "email": "--email", "password": "--password",
                 "admin": "--admin"}

# click >= 8.2 raises this for a group called without a command; older versions print the help themselves.
NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())

log = logging.getLogger(__name__)


@dataclass
class CliState:
    """The global options, and the configuration they select, loaded on first use."""

    config_path: str | None = None
    no_config: bool = False
    log_level: int = logging.INFO
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path, no_config=self.no_config)
        return self._config


class SemaphoreGroup(click.Group):
    """Resolves the original's aliases and keeps plugins from replacing a command."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, ALIASES.get(cmd_name, cmd_name))

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name in self.commands or name in ALIASES:
            raise PluginError(f"command {name!r} already exists")
        super().add_command(cmd, name)


# -- helpers ---------------------------------------------------------------------------------------

def state() -> CliState:
    obj = click.get_current_context().find_object(CliState)
    assert obj is not None
    return obj


@contextmanager
def database_session() -> Iterator[DbSession]:
    """A session on the configured database, brought to the newest schema first (as the original)."""
    from semaphore.db.engine import Database
    from semaphore.db.migrate import upgrade

    database = Database.from_config(state().config())
    try:
        upgrade(database.engine)
        with database.session() as db:
            yield db
    finally:
        database.dispose()


def load_input(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Check options with the API's request schema, naming the offending option."""
    try:
        loaded: dict[str, Any] = schema.load(data)
    except SchemaError as exc:
        messages = exc.normalized_messages()
        name, problems = next(iter(messages.items()))
        text = " ".join(problems) if isinstance(problems, list) else str(problems)
        raise ValidationError(text, field=FLAG_OF_FIELD.get(str(name), str(name))) from None
    return loaded


def fail(message: str, status: int = 1) -> NoReturn:
    click.echo(f"{PROG}: error: {message}", err=True)
    sys.exit(status)


# -- global options --------------------------------------------------------------------------------

def _root(ctx: click.Context, config_path: str | None, no_config: bool, log_level: str | None) -> None:
    """Semaphore: a web UI, REST API and command line for running Ansible, Terraform/OpenTofu and
    scripts. Run `semaphore help COMMAND` for a command's options."""
    ctx.obj = CliState(config_path, bool(no_config), LOG_LEVELS[(log_level or "INFO").upper()])
    configure_logging(ctx.obj.log_level)


def _global_options(callback: Any = None) -> list[click.Parameter]:
    """--config, --no-config and --log-level. The root command takes them, and so does every
    command below it (the original's documentation writes `semaphore server --config=...`):
    there ``callback`` stores a value given into the root's CliState."""
    expose = callback is None
    return [
        click.Option(["--config", "config_path"], metavar="PATH", expose_value=expose, callback=callback,
                     help="config.json to read (or its directory). Default: $SEMAPHORE_CONFIG_PATH, "
                          "else ./config.json, /usr/local/etc/semaphore/config.json, /etc/semaphore/config.json."),
        click.Option(["--no-config"], is_flag=True, default=None, expose_value=expose, callback=callback,
                     help="Read no config file; only SEMAPHORE_* variables and defaults."),
        click.Option(["--log-level"], type=click.Choice(list(LOG_LEVELS), case_sensitive=False),
                     metavar="[" + "|".join(LOG_LEVELS) + "]", expose_value=expose, callback=callback,
                     help="Least severe log messages to show (default INFO)."),
    ]


def _set_global_option(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global option given after a command's name: it overrides the same option given before it."""
    if value is None:
        return
    cli = ctx.find_object(CliState)
    assert cli is not None
    if param.name == "config_path":
        cli.config_path = value
    elif param.name == "no_config":
        cli.no_config = value
    else:
        cli.log_level = LOG_LEVELS[value.upper()]
        configure_logging(cli.log_level)


def share_global_options(command: click.Command) -> None:
    """Give every command below ``command`` (plugin commands and sub-sub-commands too) the global
    options; a command that defines one of them itself keeps its own."""
    if not isinstance(command, click.Group):
        return
    for sub in command.commands.values():
        taken = {opt for param in sub.params for opt in param.opts}
        sub.params.extend(option for option in _global_options(_set_global_option) if not taken & set(option.opts))
        share_global_options(sub)


def make_cli() -> SemaphoreGroup:
    group = SemaphoreGroup(
        PROG, callback=click.pass_context(_root), help=_root.__doc__,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        params=_global_options())
    for command in (version_command, help_command, setup_command, migrate_command, server_command,
                    user_group, vault_group, plugins_command):
        group.add_command(command)
    return group


def configure_logging(level: int) -> None:
    logging.basicConfig(level=level, stream=sys.stderr, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces every step at INFO; the migrate command reports the outcome itself.
    logging.getLogger("alembic").setLevel(level if level <= logging.DEBUG else logging.WARNING)


# -- commands --------------------------------------------------------------------------------------

@click.command("version")
def version_command() -> None:
    """Print the version."""
    click.echo(__version__)


@click.command("help")
@click.argument("command", nargs=-1)
@click.pass_context
def help_command(ctx: click.Context, command: tuple[str, ...]) -> None:
    """Show help for the command line or for COMMAND."""
    target_ctx = ctx.find_root()
    target = target_ctx.command
    for name in command:
        found = target.get_command(target_ctx, name) if isinstance(target, click.Group) else None
        if found is None:
            raise click.UsageError(f"no such command: {' '.join(command)}")
        target_ctx = click.Context(found, info_name=name, parent=target_ctx)
        target = found
    click.echo(target.get_help(target_ctx))


@click.command("setup")
def setup_command() -> None:
    """Write a config.json interactively (database, paths, public URL, first admin), migrate the
    database and create the admin. Answers may be piped on stdin, one per line."""
    from semaphore.cli.setup_wizard import Prompter, run_setup

    given = state().config_path
    default_dir = Path.cwd() if not given else (Path(given) if Path(given).is_dir() else Path(given).parent)
    result = run_setup(Prompter(sys.stdin, sys.stdout), default_dir.absolute())
    click.echo(f"Database {result.config.dialect} migrated to revision {result.revision}.")
    click.echo(f"Admin {result.admin_login} {result.admin_action}.")
    click.echo(f"Start the server with: {PROG} server --config {shlex.quote(str(result.config_path))}")


@click.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest revision."""
    from semaphore.db.engine import Database
    from semaphore.db.migrate import current_revision, upgrade

    config = state().config()
    database = Database.from_config(config)
    try:
        before = current_revision(database.engine)
        upgrade(database.engine)
        after = current_revision(database.engine)
    finally:
        database.dispose()
    if before == after:
        click.echo(f"Database ({config.db_dialect}) is up to date at revision {after}.")
    else:
        click.echo(f"Database ({config.db_dialect}) migrated from {before or 'empty'} to revision {after}.")


@click.command("server")
def server_command() -> None:
    """Run the web UI and API (alias: service). Migrates the database first.

    \b
    At every start SEMAPHORE_ADMIN names an admin account (with SEMAPHORE_ADMIN_PASSWORD,
    SEMAPHORE_ADMIN_NAME, SEMAPHORE_ADMIN_EMAIL), created if missing and made an admin if it is
    not one; an existing account's password is never changed. Without it, an empty database gets
    an `admin` with a random password, printed once.
    """
    from semaphore.server import check_can_listen, listening_message, prepare, serve

    cli = state()
    config = cli.config()
    check_can_listen(config)  # before the migration, so that a taken port is reported at once
    app, admin = prepare(config, os.environ)
    if admin is not None and admin.password is not None:
        _print_credentials(admin.login, admin.password, admin.action)
    elif admin is not None and admin.action != "unchanged":
        click.echo(f"Admin {admin.login} {admin.action}.")

    def ready() -> None:
        public = f" (public URL {config.web_host})" if config.web_host else ""
        click.echo(f"Semaphore {__version__} is {listening_message(config)}{public}")
        sys.stdout.flush()

    serve(app, config, cli.log_level, on_ready=ready)


def _print_credentials(login: str, password: str, action: str) -> None:
    rule = "=" * 72
    click.echo("\n".join([
        rule,
        f"  The admin account was {action}; change its password after logging in.",
        f"    login:    {login}",
        f"    password: {password}",
        "  This password is shown only this once.",
        rule,
    ]))
    sys.stdout.flush()


# -- user ------------------------------------------------------------------------------------------

@click.group("user")
def user_group() -> None:
    """Manage users (alias: users)."""


@user_group.command("add")
@click.option("--login", required=True, help="Login (user name).")
@click.option("--name", required=True, help="Display name.")
@click.option("--email", required=True, help="E-mail address.")
@click.option("--password", required=True, help="Password.")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
def user_add(login: str, name: str, email: str, password: str, admin: bool) -> None:
    """Create a user."""
    from semaphore.schemas.users import UserCreateSchema
    from semaphore.services.users import create_user

    data = load_input(UserCreateSchema(), {"username": login, "name": name, "email": email,
                                           "password": password, "admin": admin})
    with database_session() as db:
        user = create_user(db, None, **data, min_password_length=state().config().password_min_length)
    click.echo(f"User {user.username} created (id {user.id}).")


def _change_options(identified_by: str) -> Any:
    """The options of change-by-login / change-by-email: everything but the identifying one."""
    options = [
        click.option("--login", help="New login.") if identified_by != "login" else None,
        click.option("--name", help="New display name."),
        click.option("--email", help="New e-mail address.") if identified_by != "email" else None,
        click.option("--password", help="New password (ends the user's sessions)."),
        click.option("--admin/--no-admin", default=None, help="Grant or revoke admin rights."),
    ]

    def decorate(func: Any) -> Any:
        for option in reversed([o for o in options if o is not None]):
            func = option(func)
        return func
    return decorate


def _change_user(identify: dict[str, str], changes: dict[str, Any]) -> None:
    from semaphore.schemas.users import UserUpdateSchema
    from semaphore.services.users import find_user, update_user

    wanted = {key: value for key, value in changes.items() if value is not None}
    if not wanted:
        raise ValidationError("nothing to change: give --name, --email, --login, --password or --admin/--no-admin")
    data = load_input(UserUpdateSchema(), wanted)
    with database_session() as db:
        user = find_user(db, **identify)
        update_user(db, None, user, data, min_password_length=state().config().password_min_length)
        login = user.username
    click.echo(f"User {login} changed.")


@user_group.command("change-by-login")
@click.option("--login", required=True, help="Login of the user to change.")
@_change_options("login")
def user_change_by_login(login: str, name: str | None, email: str | None, password: str | None,
                         admin: bool | None) -> None:
    """Change a user found by login."""
    _change_user({"login": login}, {"name": name, "email": email, "password": password, "admin": admin})


@user_group.command("change-by-email")
@click.option("--email", required=True, help="E-mail address of the user to change.")
@_change_options("email")
def user_change_by_email(email: str, login: str | None, name: str | None, password: str | None,
                         admin: bool | None) -> None:
    """Change a user found by e-mail address."""
    _change_user({"email": email}, {"username": login, "name": name, "password": password, "admin": admin})


def _identify(login: str | None, email: str | None) -> dict[str, str]:
    if bool(login) == bool(email):
        raise ValidationError("give either --login or --email")
    return {"login": login} if login else {"email": email or ""}


@user_group.command("delete")
@click.option("--login", help="Login of the user.")
@click.option("--email", help="E-mail address of the user.")
def user_delete(login: str | None, email: str | None) -> None:
    """Delete a user found by login or e-mail address."""
    from semaphore.services.users import delete_user, find_user

    identify = _identify(login, email)
    with database_session() as db:
        user = find_user(db, **identify)
        name = user.username
        delete_user(db, None, user)
    click.echo(f"User {name} deleted.")


@user_group.command("totp-disable")
@click.option("--login", help="Login of the user.")
@click.option("--email", help="E-mail address of the user.")
def user_totp_disable(login: str | None, email: str | None) -> None:
    """Turn a user's TOTP two-factor authentication off and end their sessions (for an admin who
    lost the device and has no other admin to reset it)."""
    from semaphore.services.totp import turn_off
    from semaphore.services.users import find_user

    identify = _identify(login, email)
    with database_session() as db:
        user = find_user(db, **identify)
        name, removed = user.username, turn_off(db, user)
    click.echo(f"Two-factor authentication of {name} turned off." if removed
               else f"{name} had no two-factor authentication; their sessions were ended anyway.")


@user_group.command("get")
@click.option("--login", help="Login of the user.")
@click.option("--email", help="E-mail address of the user.")
def user_get(login: str | None, email: str | None) -> None:
    """Show a user found by login or e-mail address."""
    from semaphore.services.users import find_user

    identify = _identify(login, email)
    with database_session() as db:
        user = find_user(db, **identify)
        rows = [("ID", user.id), ("Created", user.created.isoformat(sep=" ", timespec="seconds")),
                ("Login", user.username), ("Name", user.name), ("Email", user.email),
                ("Admin", str(user.admin).lower()), ("External", str(user.external).lower())]
    for label, value in rows:
        click.echo(f"{label + ':':<10}{value}")


@user_group.command("list")
def user_list() -> None:
    """Print every login, one a line."""
    from semaphore.services.users import list_users

    with database_session() as db:
        names = [user.username for user in list_users(db)]
    for name in names:
        click.echo(name)


# -- vault -----------------------------------------------------------------------------------------

@click.group("vault")
def vault_group() -> None:
    """Manage the encryption of stored secrets (alias: vaults)."""


@vault_group.command("rekey")
@click.option("--old-key", required=True, metavar="KEY",
              help="The access_key_encryption the secrets are encrypted with now (base64).")
def vault_rekey(old_key: str) -> None:
    """Re-encrypt every stored secret (key store and environment secrets) from --old-key to the
    configured access_key_encryption, in one transaction."""
    from semaphore.generated_secrets import ensure_secrets
    from semaphore.services.rekey import rekey_secrets

    config = state().config()
    ensure_secrets(config)
    with database_session() as db:
        result = rekey_secrets(db, old_key, config.access_key_encryption)
    message = f"{result.reencrypted} secret(s) re-encrypted with the configured access_key_encryption."
    if result.already_current:
        message += f" {result.already_current} already used it and were left as they are."
    click.echo(message)


# -- plugins ---------------------------------------------------------------------------------------

@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (as GET /api/plugins).")
def plugins_command(as_json: bool) -> None:
    """List plugins: built-ins and installed ones, with what loaded, failed or was disabled."""
    from semaphore.app import build_plugins
    from semaphore.registry import Registry

    plugins = build_plugins(state().config())
    Registry(plugins)  # components are registered here; a plugin can still fail at this step
    infos = plugins.info()
    if as_json:
        click.echo(json.dumps([info.to_json() for info in infos], indent=2))
        return
    header = ("NAME", "DISTRIBUTION", "VERSION", "STATUS", "HOOKS")
    rows = [(i.name, "(built-in)" if i.builtin else i.distribution or "-", i.version or "-", i.status,
             ", ".join(i.hooks) or "-") for i in infos]
    widths = [max(len(row[col]) for row in [header, *rows]) for col in range(len(header) - 1)]
    for row in [header, *rows]:
        click.echo("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]))
    for info in infos:
        if info.error:
            click.echo(f"{info.name}: {info.error}")


# -- entry point -----------------------------------------------------------------------------------

def add_plugin_commands(group: click.Group) -> None:
    """Commands of plugins chosen by the environment only: options are not parsed yet."""
    from semaphore.app import build_plugins
    from semaphore.registry import Registry

    config = load_config(no_config=True, environ={k: v for k, v in os.environ.items() if k in PLUGIN_ENV})
    Registry(build_plugins(config)).add_commands(group)


def _log_level_in(args: list[str]) -> int:
    """--log-level, looked up before parsing so that plugin loading already honours it."""
    for index, arg in enumerate(args):
        value = arg.partition("=")[2] if arg.startswith("--log-level=") else None
        if arg == "--log-level" and index + 1 < len(args):
            value = args[index + 1]
        if value and value.upper() in LOG_LEVELS:
            return LOG_LEVELS[value.upper()]
    return logging.INFO


def main(argv: list[str] | None = None) -> NoReturn:
    args = list(sys.argv[1:] if argv is None else argv)
    configure_logging(_log_level_in(args))
    try:
        group = make_cli()
        add_plugin_commands(group)
        share_global_options(group)
        status = group.main(args=args, prog_name=PROG, standalone_mode=False)
    except NO_ARGS_IS_HELP as exc:  # `semaphore` or `semaphore user` alone: the help, as the original
        click.echo(exc.ctx.get_help())
        sys.exit(0)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else PROG
        fail(f"{exc.format_message()} (see '{where} --help')", exc.exit_code)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.exceptions.Abort:
        fail("aborted")
    except SemaphoreError as exc:
        fail(exc.message)
    except SQLAlchemyError as exc:
        from semaphore.cli.setup_wizard import short_db_error

        log.debug("database error", exc_info=exc)
        fail(f"database: {short_db_error(exc)}")
    except OSError as exc:
        log.debug("system error", exc_info=exc)
        fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc.strerror or exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:  # the promise is one line, even for a bug: the details go to the debug log
        log.debug("unexpected error", exc_info=exc)
        fail(f"unexpected {type(exc).__name__}: {exc} (run with --log-level DEBUG for details)")
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
