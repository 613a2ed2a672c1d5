"""Installing a playbook's Galaxy requirements before it runs.

The files, in this order (Semaphore's): roles from ``<playbook dir>/roles/requirements.yml``,
``<playbook dir>/requirements.yml``, ``<repository>/roles/requirements.yml``,
``<repository>/requirements.yml``; then collections from ``<playbook dir>/collections/requirements.yml``,
``<playbook dir>/requirements.yml``, ``<repository>/collections/requirements.yml``,
``<repository>/requirements.yml``. A path listed twice (the playbook at the top of the
repository) is processed once. Each file is processed on its own; the first failure stops the run.

Better than the original: a ``requirements.yml`` serving both kinds is only installed for the
kinds it lists (a plain list is roles only), so a roles-only file never fails as collections;
installs go to the template's cache directory, and a file whose content is unchanged since its
last successful install is skipped (the original compares an ``.md5`` file in the checkout).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semaphore import ProcessSpec, TaskFailed

STATE_FILE = "galaxy-installed.json"
KINDS = ("role", "collection")
TARGET_DIRS = {"role": "roles", "collection": "collections"}


@dataclass(frozen=True)
class Requirements:
    kind: str  # "role" or "collection"
    path: Path
    label: str  # the path as the log shows it, relative to the repository
    shared: bool  # a top-level requirements.yml, processed for roles and for collections


def requirement_files(repository: Path, playbook: str) -> list[Requirements]:
    """The requirement files that exist, in processing order."""
    playbook_dir = (repository / playbook).parent
    found: list[Requirements] = []
    seen: set[tuple[str, Path]] = set()
    for kind in KINDS:
        for base in (playbook_dir, repository):
            for name in (f"{TARGET_DIRS[kind]}/requirements.yml", "requirements.yml"):
                path = (base / name).resolve()
                if (kind, path) in seen or not path.is_file() or not path.is_relative_to(repository.resolve()):
                    continue
                seen.add((kind, path))
                found.append(Requirements(kind, path, str(path.relative_to(repository.resolve())),
                                          shared=name == "requirements.yml"))
    return found


def lists_kind(path: Path, kind: str) -> bool:
    """Whether a shared ``requirements.yml`` holds requirements of ``kind``. A file that cannot be
    read as YAML is handed to ansible-galaxy, which says what is wrong with it."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return True
    if isinstance(data, list):
        return kind == "role"
    if isinstance(data, dict):
        return bool(data.get(f"{kind}s"))
    return False


class GalaxyInstaller:
    """Installs into ``target`` (``roles/`` and ``collections/``), remembering what it installed."""

    def __init__(self, target: Path, run_galaxy: Callable[[ProcessSpec], int], log: Callable[[str], None]) -> None:
        self.target = target
        self.run_galaxy = run_galaxy
        self.log = log
        self.state_path = target / STATE_FILE

    def install(self, repository: Path, playbook: str, galaxy: str, env: dict[str, str]) -> set[str]:
        """Install every requirement file; the kinds that are installed (for the search paths)."""
        state = self._state()
        installed = {kind for kind in KINDS if (self.target / TARGET_DIRS[kind]).is_dir() and
                     any(key.startswith(f"{kind}:") for key in state)}
        files = requirement_files(repository, playbook)
        if not files:
            self.log("No Galaxy requirements files found: skipping the Galaxy install.")
        for requirements in files:
            if requirements.shared and not lists_kind(requirements.path, requirements.kind):
                continue
            key = f"{requirements.kind}:{requirements.label}"
            digest = hashlib.sha256(requirements.path.read_bytes()).hexdigest()
            directory = self.target / TARGET_DIRS[requirements.kind]
            if state.get(key) == digest and directory.is_dir():
                self.log(f"Galaxy {requirements.kind}s of {requirements.label} are unchanged since they were "
                         "installed: skipping.")
                installed.add(requirements.kind)
                continue
            self.log(f"Installing Galaxy {requirements.kind}s from {requirements.label}")
            directory.mkdir(parents=True, exist_ok=True)
            argv = [galaxy, requirements.kind, "install", "-r", str(requirements.path), "--force", "-p", str(directory)]
            code = self.run_galaxy(ProcessSpec(argv=argv, cwd=repository, env=env))
            if code != 0:
                state.pop(key, None)
                self._save(state)
                raise TaskFailed(f"ansible-galaxy {requirements.kind} install -r {requirements.label} "
                                 f"failed with exit code {code}")
            state[key] = digest
            self._save(state)
            installed.add(requirements.kind)
        return installed

    def _state(self) -> dict[str, Any]:
        try:
            value = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _save(self, state: dict[str, Any]) -> None:
        partial = self.state_path.with_suffix(".partial")
        partial.write_text(json.dumps(state, indent=1, sort_keys=True))
        partial.replace(self.state_path)
