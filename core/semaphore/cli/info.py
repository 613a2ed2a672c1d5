"""Commands about the command line and this installation: `version`, `help` and `plugins`."""

from __future__ import annotations

import json

import click

from semaphore.cli.root import state
from semaphore.version import __version__


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


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (as GET /api/plugins).")
def plugins_command(as_json: bool) -> None:
    """List plugins: built-ins and installed ones, with what loaded, failed or was disabled."""
    from semaphore.plugins import build_plugins
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

