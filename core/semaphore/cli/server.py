"""`semaphore server` (alias `service`): migrate, make sure of the first admin, and serve."""

from __future__ import annotations

import os
import sys

import click

from semaphore.cli.root import state
from semaphore.config import validate
from semaphore.version import __version__


@click.command("server")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Server processes, each a full node (overrides web_workers); more than one needs "
                   "PostgreSQL, or MySQL with ha.redis.")
def server_command(workers: int | None) -> None:
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
    if workers is not None:
        config.web_workers = workers
        validate(config)  # several workers need a shared database and a bus
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
