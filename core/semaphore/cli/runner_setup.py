"""`semaphore runner setup`: ask for the server's URL, the working directory and the runner token
(or the file to keep it in, for `semaphore runner register` to fill), and write the runner's
config file -- the short file the documentation shows, not every setting.

An existing file is updated: its other settings are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semaphore.cli.prompts import Prompter, directory, file_path, public_url
from semaphore.config import read_json_object
from semaphore.errors import ValidationError
from semaphore.private_files import write_private_file

CONFIG_FILE = "config.json"
TOKEN_FILE = "runner.token"
DEFAULT_TMP_PATH = "/tmp/semaphore"


@dataclass
class RunnerSetupResult:
    config_path: Path
    has_token: bool


def run_runner_setup(prompter: Prompter, config_path: Path | None, default_dir: Path) -> RunnerSetupResult:
    """Ask, then write ``config_path`` (asked for when None) with mode 0600: it may hold the token."""
    web_host = prompter.ask("Semaphore server URL (web_host), e.g. https://semaphore.example.com", "", server_url)
    tmp_path = prompter.ask("Working directory for repositories and task files (tmp_path)", DEFAULT_TMP_PATH,
                            directory)
    if config_path is None:
        config_path = Path(prompter.ask("Directory for config.json", str(default_dir), directory)) / CONFIG_FILE
    runner: dict[str, Any] = {}
    if prompter.confirm("Do you have a runner token?"):
        runner["token"] = prompter.ask("Runner token", "", required, secret=True)
    else:
        runner["token_file"] = prompter.ask("File to keep the runner token in (token_file)",
                                            str(config_path.parent.absolute() / TOKEN_FILE), file_path)

    content = read_json_object(config_path) if config_path.exists() else {}
    old = content.get("runner")
    block: dict[str, Any] = dict(old) if isinstance(old, dict) else {}
    for key in ("token", "token_file"):
        block.pop(key, None)
    content.update({"tmp_path": tmp_path, "web_host": web_host, "runner": {**block, **runner}})
    write_private_file(config_path, json.dumps(content, indent=2) + "\n")
    prompter.say(f"\nConfiguration written to {config_path}")
    return RunnerSetupResult(config_path, "token" in runner)


def server_url(answer: str) -> str:
    if not answer:
        raise ValidationError("the server's URL is required")
    return public_url(answer)


def required(answer: str) -> str:
    if not answer:
        raise ValidationError("an answer is required")
    return answer
