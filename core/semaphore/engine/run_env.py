"""The process environment of a run, built in layers; a later layer wins on a name clash:

1. ``PATH`` (the server's, else the system default), ``LANG`` and ``LC_ALL`` when the server has them
2. ``HOME`` = the run's private directory, ``PWD`` = the checkout, ``PYTHONUNBUFFERED=1``
3. each variable named in the ``forwarded_env_vars`` setting, from the server's environment
4. the ``env_vars`` setting
5. the environment's (variable group's) ``env`` JSON
6. its ``env.*`` secrets
7. ``SEMAPHORE_TASK_*``: the task's id, type, versions, author, message, URL and details (JSON)

Nothing else of the server's environment reaches a task: it holds the server's own secrets
(``SEMAPHORE_ACCESS_KEY_ENCRYPTION``, database passwords, tokens).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semaphore.config import Config
from semaphore.engine.run_keys import RunPreparationError
from semaphore.execution import TaskDetails

LOCALE = ("LANG", "LC_ALL")


@dataclass(frozen=True)
class RunEnvironment:
    """Every layer but the checkout's path, which is known only after the checkout."""

    base: dict[str, str]
    private_dir: Path
    layers: tuple[dict[str, str], ...]

    def build(self, checkout: Path) -> dict[str, str]:
        env = dict(self.base)
        env.update(HOME=str(self.private_dir), PWD=str(checkout), PYTHONUNBUFFERED="1")
        for layer in self.layers:
            env.update(layer)
        return env


def run_environment(server_env: Mapping[str, str], config: Config, private_dir: Path, variables: dict[str, str],
                    secrets: dict[str, str], details: TaskDetails) -> RunEnvironment:
    """``variables``: the environment's ``env`` JSON (see :func:`env_variables`); ``secrets``: its
    ``env.*`` secrets by name."""
    base = {"PATH": server_env.get("PATH") or os.defpath}
    base.update({name: server_env[name] for name in LOCALE if name in server_env})
    forwarded = {name: server_env[name] for name in config.forwarded_env_vars if name in server_env}
    configured = {str(name): _as_text(value, f"env_vars setting {name}") for name, value in config.env_vars.items()}
    layers = (
        _checked(forwarded, "forwarded_env_vars setting"),
        _checked(configured, "env_vars setting"),
        _checked(variables, "environment variables of the environment"),
        _checked(secrets, "env secrets of the environment"),
        task_variables(details),
    )
    return RunEnvironment(_checked(base, "server environment"), private_dir, layers)


def stored_json(text: str | None, kind: type, what: str) -> Any:
    """A stored JSON object or array; empty means empty. Messages never quote the content."""
    if not text:
        return kind()
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise RunPreparationError(f"the {what} are not valid JSON") from exc
    if not isinstance(value, kind):
        raise RunPreparationError(f"the {what} must be a JSON {'object' if kind is dict else 'array'}")
    return value


def env_variables(text: str | None, what: str) -> dict[str, str]:
    """A JSON object of environment variables (strings or numbers) as process environment values."""
    return {str(name): _as_text(value, f"{what}: {name}") for name, value in stored_json(text, dict, what).items()}


def task_variables(details: TaskDetails) -> dict[str, str]:
    """``SEMAPHORE_TASK_*``: type and versions only when they apply, the URL when ``web_host`` is set."""
    env = {"SEMAPHORE_TASK_ID": str(details.id), "SEMAPHORE_TASK_USERNAME": details.username,
           "SEMAPHORE_TASK_MESSAGE": details.message}
    if details.type:
        env["SEMAPHORE_TASK_TYPE"] = details.type
    if details.target_version is not None:
        env["SEMAPHORE_TASK_TARGET_VERSION"] = details.target_version
    if details.incoming_version is not None:
        env["SEMAPHORE_TASK_INCOMING_VERSION"] = details.incoming_version
    if details.url:
        env["SEMAPHORE_TASK_URL"] = details.url
    env["SEMAPHORE_TASK_DETAILS"] = json.dumps(details.as_vars())
    # A NUL (from a message) cannot be passed to a process: drop it rather than fail the run.
    return {name: value.replace("\x00", "") for name, value in env.items()}


def _as_text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(value)
    raise RunPreparationError(f"{what}: an environment variable must be a string or a number")


def _checked(layer: dict[str, str], source: str) -> dict[str, str]:
    """Names and values a process can be given; messages name the variable, never its value."""
    for name, value in layer.items():
        if not name or "=" in name or "\x00" in name:
            raise RunPreparationError(f"{source}: {name!r} is not a valid environment variable name")
        if "\x00" in value:
            raise RunPreparationError(f"{source}: the value of {name} contains a NUL character")
    return layer
