"""`semaphore runner setup | register | unregister | start`: this machine as a remote runner of a
Semaphore server (the server is the config file's ``web_host``). `semaphore runner` alone starts
the runner, as the documentation's "Runner mode" writes it.

The work is done in semaphore.runners; these commands read options, call it and print.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from semaphore.cli.root import PROG, state
from semaphore.config import Config
from semaphore.errors import SemaphoreError

TOKEN_SOURCES = "pipe it with --stdin-registration-token, give --registration-token-file, or set " \
                "runner.registration_token (SEMAPHORE_RUNNER_REGISTRATION_TOKEN)"


@click.group("runner", invoke_without_command=True)
@click.pass_context
def runner_group(ctx: click.Context) -> None:
    """Run tasks for a Semaphore server on this machine. Alone: start the runner (as `runner start`)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(start_command)


@runner_group.command("setup")
def setup_command() -> None:
    """Write the runner's config file interactively (server URL, runner token or token file).
    With --config PATH the file is PATH. Answers may be piped on stdin, one per line."""
    from semaphore.cli.prompts import Prompter
    from semaphore.cli.runner_setup import run_runner_setup

    given = state().config_path
    config_path = None
    if given:
        config_path = Path(given) / "config.json" if Path(given).is_dir() else Path(given)
    result = run_runner_setup(Prompter(sys.stdin, sys.stdout), config_path, Path.cwd())
    where = shlex.quote(str(result.config_path))
    if result.has_token:
        click.echo(f"Start the runner with: {PROG} runner start --config {where}")
    else:
        click.echo(f"Register the runner with: echo REGISTRATION_TOKEN | {PROG} runner register "
                   f"--stdin-registration-token --config {where}")


@runner_group.command("register")
@click.option("--stdin-registration-token", "from_stdin", is_flag=True,
              help="Read the registration token from the first line of stdin.")
@click.option("--registration-token-file", metavar="PATH", help="Read the registration token from this file.")
@click.option("--name", help="Runner name (default: runner.name, else the host name).")
@click.option("--tags", help="Comma-separated tags (default: runner.tags).")
@click.option("--max-parallel-tasks", type=click.IntRange(min=0), help="Jobs the runner takes at once "
              "(default: runner.max_parallel_tasks).")
@click.option("--one-off", is_flag=True, default=None, help="Run one job, then exit (saved as runner.one_off).")
def register_command(from_stdin: bool, registration_token_file: str | None, name: str | None, tags: str | None,
                     max_parallel_tasks: int | None, one_off: bool | None) -> None:
    """Register this runner with the server: make its key pair, send the public key and keep the
    runner token it gets (runner.token_file, else the config file) and the private key
    (runner.private_key_file), both mode 0600. Registering again replaces them.

    Options given are saved in the config file's runner block, for `runner start`."""
    from semaphore.runners.client import RunnerClient
    from semaphore.runners.registration import register, update_runner_block

    cli = state()
    config = cli.config()
    client = RunnerClient(config.web_host, config.runner)
    given: dict[str, Any] = {"name": name, "max_parallel_tasks": max_parallel_tasks, "one_off": one_off,
                             "tags": None if tags is None else [t.strip() for t in tags.split(",") if t.strip()]}
    given = {key: value for key, value in given.items() if value is not None}
    for key, value in given.items():
        setattr(config.runner, key, value)
    registration_token = _registration_token(config, from_stdin, registration_token_file)

    config_file = cli.config_file()
    registered = register(config, config_file, registration_token, client)
    if given and config_file is not None:
        update_runner_block(config_file, given)
    click.echo(f"Runner registered (id {registered.id}). Token saved to {registered.files.token_place}, "
               f"private key to {registered.files.private_key_file}.")


@runner_group.command("unregister")
def unregister_command() -> None:
    """Remove this runner from the server, then its token and private key from this machine."""
    from semaphore.runners.client import RunnerClient, ServerRefused
    from semaphore.runners.registration import forget_runner, read_token, runner_files

    cli = state()
    config = cli.config()
    client = RunnerClient(config.web_host, config.runner)
    token = read_token(config.runner)
    if not token:
        raise SemaphoreError("the runner has no token (runner.token or runner.token_file): it is not registered")
    config_file = cli.config_file()
    files = runner_files(config.runner, config_file) if config.runner.token_file or config_file else None
    try:
        client.unregister(token)
    except ServerRefused as exc:
        if exc.status == 401:
            raise SemaphoreError(f"{exc.message}: the server does not know this runner's token "
                                 "(removed already?); nothing was changed here") from None
        raise
    if files is not None:
        forget_runner(files)
        click.echo(f"Runner unregistered; removed its token ({files.token_place}) and private key "
                   f"({files.private_key_file}).")
    else:
        click.echo("Runner unregistered.")


@runner_group.command("start")
def start_command() -> None:
    """Poll the server for jobs until stopped (SIGTERM, Ctrl-C). Without a token, register first
    with runner.registration_token. While the server is away, try again with backoff; a refused
    token (401) ends the runner with an error."""
    from semaphore.runners.client import RunnerClient
    from semaphore.runners.poller import RunnerLoop

    cli = state()
    config = cli.config()
    client = RunnerClient(config.web_host, config.runner)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    RunnerLoop(config, cli.config_file(), client, stop).run()
    click.echo("Runner stopped.", err=True)


def _registration_token(config: Config, from_stdin: bool, token_file: str | None) -> str:
    """From stdin, a file, or the configuration: never from the command line, where `ps` shows it."""
    if from_stdin and token_file:
        raise click.UsageError("give either --stdin-registration-token or --registration-token-file")
    if from_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise SemaphoreError("--stdin-registration-token: stdin gave no token")
        return token
    if token_file:
        try:
            token = Path(token_file).expanduser().read_text().strip()
        except OSError as exc:
            raise SemaphoreError(f"--registration-token-file: cannot read {token_file}: {exc.strerror}") from None
        if not token:
            raise SemaphoreError(f"--registration-token-file: {token_file} is empty")
        return token
    if not config.runner.registration_token:
        raise SemaphoreError(f"no registration token: {TOKEN_SOURCES}")
    return config.runner.registration_token
