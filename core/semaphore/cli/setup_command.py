"""`semaphore setup`: the command around the setup wizard (cli/setup_wizard.py), which is imported
only when the command runs."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from semaphore.cli.root import PROG, state


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
