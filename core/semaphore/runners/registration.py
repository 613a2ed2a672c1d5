"""Registering a runner with its server, and keeping what that gives it: the runner token (in
runner.token_file, or else in the config file, as the original's later versions do) and the
private key of the key pair made for it (runner.private_key_file). Both files are 0600."""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semaphore.config import Config, RunnerConfig, read_json_object
from semaphore.errors import ConfigError
from semaphore.private_files import write_private_file
from semaphore.runners.client import RunnerClient
from semaphore.runners.sealed import generate_private_key, public_key_pem, write_private_key
from semaphore.version import __version__

log = logging.getLogger(__name__)

KEY_SUFFIX = ".key"


@dataclass(frozen=True)
class RunnerFiles:
    """Where a runner keeps its token (``token_place``: ``token_file``, else ``config_file``) and
    its private key."""

    token_file: Path | None
    config_file: Path | None
    token_place: Path
    private_key_file: Path


@dataclass(frozen=True)
class Registered:
    id: int | None
    token: str
    files: RunnerFiles


def runner_files(runner: RunnerConfig, config_file: Path | None) -> RunnerFiles:
    """The runner's files; the private key's default is the token's file name + ``.key``."""
    token_file = Path(runner.token_file).expanduser() if runner.token_file else None
    if token_file is None and config_file is None:
        raise ConfigError("nowhere to keep the runner token: set runner.token_file "
                          "(SEMAPHORE_RUNNER_TOKEN_FILE) or use a config file (--config)")
    token_place = token_file or config_file
    assert token_place is not None
    key_file = (Path(runner.private_key_file).expanduser() if runner.private_key_file
                else token_place.with_name(token_place.name + KEY_SUFFIX))
    return RunnerFiles(token_file, config_file, token_place, key_file)


def read_token(runner: RunnerConfig) -> str:
    """runner.token, else the content of runner.token_file (none yet: "")."""
    if runner.token or not runner.token_file:
        return runner.token.strip()
    path = Path(runner.token_file).expanduser()
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ConfigError(f"runner.token_file: cannot read {path}: {exc.strerror}") from exc


def installed_apps(config: Config) -> list[str]:
    """The app ids this machine can run: its executor plugins, less those config.json's ``apps``
    turns off -- what the server lists as active apps."""
    from semaphore.plugins import build_plugins
    from semaphore.registry import Registry
    from semaphore.services.apps import describe_app

    registry = Registry(build_plugins(config))
    return sorted(app_id for app_id in registry.executors
                  if describe_app(app_id, dict(config.apps), registry)["active"])


def register(config: Config, config_file: Path | None, registration_token: str,
             client: RunnerClient) -> Registered:
    """Make a key pair, register with the server, then keep the token and the private key. Nothing
    is written unless the server accepts the registration."""
    runner = config.runner
    files = runner_files(runner, config_file)
    for path in (files.token_place, files.private_key_file):
        path.parent.mkdir(parents=True, exist_ok=True)  # a directory that cannot be made fails before the POST
    private_key = generate_private_key()
    answer = client.register({
        "registration_token": registration_token,
        "name": runner.name or socket.gethostname(),
        "webhook": runner.webhook,
        "max_parallel_tasks": runner.max_parallel_tasks,
        "public_key": public_key_pem(private_key),
        "tags": list(runner.tags),
        "apps": installed_apps(config),
        "version": __version__,
    })
    write_private_key(files.private_key_file, private_key, replace=True)
    save_token(files, answer["token"])
    runner.token = answer["token"]
    runner_id = answer.get("id")
    return Registered(runner_id if isinstance(runner_id, int) else None, answer["token"], files)


def save_token(files: RunnerFiles, token: str) -> None:
    if files.token_file is not None:
        write_private_file(files.token_file, token)
    else:
        assert files.config_file is not None
        update_runner_block(files.config_file, {"token": token})


def forget_runner(files: RunnerFiles) -> None:
    """Remove the token and the private key, once the server has forgotten the runner."""
    if files.token_file is not None:
        files.token_file.unlink(missing_ok=True)
    elif files.config_file is not None:
        update_runner_block(files.config_file, {"token": None})
    files.private_key_file.unlink(missing_ok=True)


def update_runner_block(config_file: Path, values: dict[str, Any]) -> None:
    """Set (or, for None, remove) keys of the config file's ``runner`` block, leaving the rest of
    the file as written. The file becomes 0600: it may hold the runner token."""
    data = read_json_object(config_file)
    block = data.get("runner")
    if block is None:
        block = data["runner"] = {}
    if not isinstance(block, dict):
        raise ConfigError(f"runner: must be a JSON object in {config_file}")
    for key, value in values.items():
        if value is None:
            block.pop(key, None)
        else:
            block[key] = value
    write_private_file(config_file, json.dumps(data, indent=2) + "\n")
