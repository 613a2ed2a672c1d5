"""The root `semaphore` group: the original's aliases, the global options (--config, --no-config,
--log-level) that every command takes too, and the state they select (the configuration, loaded
on first use)."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from semaphore.config import Config, find_config_file, load_config
from semaphore.errors import PluginError

PROG = "semaphore"
LOG_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR,
              "FATAL": logging.CRITICAL, "PANIC": logging.CRITICAL}
ALIASES = {"service": "server", "users": "user", "vaults": "vault"}


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

    def config_file(self) -> Path | None:
        """The config file the configuration is read from; None with --no-config or when none is found."""
        return None if self.no_config else find_config_file(self.config_path, os.environ)


class SemaphoreGroup(click.Group):
    """Resolves the original's aliases and keeps plugins from replacing a command."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, ALIASES.get(cmd_name, cmd_name))

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name in self.commands or name in ALIASES:
            raise PluginError(f"command {name!r} already exists")
        super().add_command(cmd, name)


def state() -> CliState:
    obj = click.get_current_context().find_object(CliState)
    assert obj is not None
    return obj


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


def root_group() -> SemaphoreGroup:
    """The `semaphore` group with the global options and no command yet."""
    return SemaphoreGroup(
        PROG, callback=click.pass_context(_root), help=_root.__doc__,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        params=_global_options())


def configure_logging(level: int) -> None:
    logging.basicConfig(level=level, stream=sys.stderr, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces every step at INFO; the migrate command reports the outcome itself.
    logging.getLogger("alembic").setLevel(level if level <= logging.DEBUG else logging.WARNING)
