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

import logging
import os
import sys
from typing import Any, NoReturn

import click
from sqlalchemy.exc import SQLAlchemyError

from semaphore.cli.database import migrate_command
from semaphore.cli.info import help_command, plugins_command, version_command
from semaphore.cli.root import LOG_LEVELS, PROG, SemaphoreGroup, configure_logging, root_group, share_global_options
from semaphore.cli.runner import runner_group
from semaphore.cli.server import server_command
from semaphore.cli.setup_command import setup_command
from semaphore.cli.users import user_group
from semaphore.cli.vault import vault_group
from semaphore.config import load_config
from semaphore.errors import SemaphoreError

PLUGIN_ENV = ("SEMAPHORE_PLUGINS", "SEMAPHORE_DISABLE_PLUGINS", "SEMAPHORE_PLUGINS_STRICT")

# click >= 8.2 raises this for a group called without a command; older versions print the help themselves.
NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())

log = logging.getLogger(__name__)


def make_cli() -> SemaphoreGroup:
    group = root_group()
    for command in (version_command, help_command, setup_command, migrate_command, server_command,
                    user_group, vault_group, runner_group, plugins_command):
        group.add_command(command)
    return group


def fail(message: str, status: int = 1) -> NoReturn:
    click.echo(f"{PROG}: error: {message}", err=True)
    sys.exit(status)


def add_plugin_commands(group: click.Group) -> None:
    """Commands of plugins chosen by the environment only: options are not parsed yet."""
    from semaphore.plugins import build_plugins
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
