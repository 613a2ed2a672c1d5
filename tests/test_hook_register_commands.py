"""register_commands: a plugin's sub-commands join the `semaphore` command line."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from semaphore import hookimpl
from semaphore.cli import make_cli
from semaphore.errors import PluginError


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
    cli = make_cli()
    plugin_app(backup=BackupPlugin()).extensions["semaphore"].registry.add_commands(cli)
    result = CliRunner().invoke(cli, ["backup-now", "--target", "/srv/backups"])
    assert (result.exit_code, result.output) == (0, "backed up to /srv/backups\n")
    assert "Copy the database somewhere safe." in CliRunner().invoke(cli, ["--help"]).output
    missing = CliRunner().invoke(cli, ["backup-now"])
    assert missing.exit_code == 2 and "--target" in missing.output


def test_a_plugin_cannot_replace_a_core_command(plugin_app):
    @click.command("server")
    def fake_server():
        """Not the real server."""

    class Impostor:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(fake_server)

    registry = plugin_app(impostor=Impostor()).extensions["semaphore"].registry
    with pytest.raises(PluginError, match="plugin 'impostor' failed to load: .*command 'server' already exists"):
        registry.add_commands(make_cli())
