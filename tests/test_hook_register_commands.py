"""register_commands: a plugin's sub-commands join the command line."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from semaphore import hookimpl


@pytest.fixture
def dialect():
    return "sqlite"  # registration does not depend on the database


@click.command("backup-now")
@click.option("--target", required=True)
def backup_now(target):
    """Copy the database somewhere safe."""
    click.echo(f"backed up to {target}")


class BackupPlugin:
    @hookimpl
    def register_commands(self, cli):
        cli.add_command(backup_now)


def test_hook_register_commands(plugin_app):
    cli = click.Group("semaphore")
    plugin_app(backup=BackupPlugin()).extensions["semaphore"].registry.add_commands(cli)
    result = CliRunner().invoke(cli, ["backup-now", "--target", "/srv/backups"])
    assert (result.exit_code, result.output) == (0, "backed up to /srv/backups\n")
    assert "Copy the database somewhere safe." in CliRunner().invoke(cli, ["--help"]).output
    missing = CliRunner().invoke(cli, ["backup-now"])
    assert missing.exit_code == 2 and "--target" in missing.output
