"""What a Terraform working directory keeps between runs, kept in the template's cache directory.

Every run works in a fresh checkout that is deleted afterwards, so whatever Terraform writes into
the working directory would be lost: the local backend's state first of all (the next run would
plan to create everything again). Under ``<cache_dir>/terraform/<working directory>/`` (the
directory's path in the repository, URL-quoted: ``%2F`` is the repository's root) a run keeps:

* ``state/``: ``terraform.tfstate``, ``terraform.tfstate.backup`` and
  ``terraform.tfstate.d/<workspace>/`` with the same two files: copied into the working directory
  before ``init`` and back after the run, whatever its outcome (a failed or stopped apply leaves a
  partial state that must not be lost). Shared by ``terraform`` and ``tofu``, which read each
  other's state.
* ``data-<app>/``: ``TF_DATA_DIR`` (what would be ``.terraform/``: providers, modules, backend
  settings), so they are not downloaded again. Its ``environment`` file (the selected workspace)
  is removed before each run: a run selects its own workspace.
* ``lock-<app>.hcl``: the dependency lock file ``init`` writes when the repository has none, so
  later runs use the same provider versions.

Copies are written to a temporary file and renamed into place. Only regular files are copied:
symlinks of the repository named like state files are replaced, never followed. When the server
runs as root (``task_run_as_user``), what it creates gets the owner of the directory it lies in.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

STATE_FILES = ("terraform.tfstate", "terraform.tfstate.backup")
WORKSPACES_DIR = "terraform.tfstate.d"
LOCK_FILE = ".terraform.lock.hcl"
SELECTED_WORKSPACE_FILE = "environment"


class WorkingDirCache:
    """The cache of one working directory (``subdir``, relative to the checkout) for one app."""

    def __init__(self, cache_dir: Path, subdir: str, app_id: str) -> None:
        self.root = cache_dir / "terraform" / quote("/" + subdir if subdir != "." else "/", safe="")
        self.state_dir = self.root / "state"
        self.data_dir = self.root / f"data-{app_id}"
        self.lock_file = self.root / f"lock-{app_id}.hcl"
        self.keeps_lock_file = False

    def restore(self, workdir: Path) -> list[str]:
        """Prepare the cache and copy the kept state into ``workdir``; what was restored
        (``terraform.tfstate``, ``workspace staging``), for the log."""
        for directory in (self.state_dir, self.data_dir):
            _make_dirs(directory)
        (self.data_dir / SELECTED_WORKSPACE_FILE).unlink(missing_ok=True)
        restored = []
        for relative in _state_files(self.state_dir):
            _copy(self.state_dir / relative, workdir / relative, workdir)
            parts = relative.parts
            if len(parts) == 1 and parts[0] == STATE_FILES[0]:
                restored.append(parts[0])
            elif len(parts) == 3 and parts[2] == STATE_FILES[0]:
                restored.append(f"workspace {parts[1]}")
        self.keeps_lock_file = not os.path.lexists(workdir / LOCK_FILE)
        if self.keeps_lock_file and self.lock_file.is_file():
            _copy(self.lock_file, workdir / LOCK_FILE, workdir)
        return restored

    def save(self, workdir: Path) -> None:
        """Copy the state files of ``workdir`` (and the lock file ``init`` wrote) into the cache.
        Files the working directory lacks are kept as they are."""
        for relative in _state_files(workdir):
            _copy(workdir / relative, self.state_dir / relative, self.state_dir)
        lock = workdir / LOCK_FILE
        if self.keeps_lock_file and lock.is_file() and not lock.is_symlink():
            _copy(lock, self.lock_file, self.root)


def _state_files(root: Path) -> Iterator[Path]:
    """State files under ``root`` (relative paths): regular files only, never through a symlink."""
    for name in STATE_FILES:
        if _regular_file(root / name):
            yield Path(name)
    workspaces = root / WORKSPACES_DIR
    if not workspaces.is_dir() or workspaces.is_symlink():
        return
    for workspace in sorted(workspaces.iterdir()):
        if workspace.is_dir() and not workspace.is_symlink():
            for name in STATE_FILES:
                if _regular_file(workspace / name):
                    yield Path(WORKSPACES_DIR, workspace.name, name)


def _regular_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _copy(source: Path, target: Path, top: Path) -> None:
    """Copy ``source`` to ``target`` (below ``top``) by a rename, making missing directories;
    a symlink on the way below ``top`` is removed rather than followed."""
    _make_dirs(target.parent, top)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        shutil.copyfile(source, temporary)
        shutil.copymode(source, temporary)
        _own_like(temporary, target.parent)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _make_dirs(directory: Path, top: Path | None = None) -> None:
    """Make ``directory`` and its missing parents (below ``top``, replacing symlinks there)."""
    missing = []
    path = directory
    while top is None or path != top:
        if path.is_symlink() and top is not None:
            path.unlink()
        if path.is_dir():
            break
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700)
        _own_like(path, path.parent)


def _own_like(path: Path, directory: Path) -> None:
    """Give ``path`` the owner of ``directory`` (root only: handed-over run directories)."""
    if os.geteuid() != 0:
        return
    owner = directory.stat()
    if path.lstat().st_uid != owner.st_uid or path.lstat().st_gid != owner.st_gid:
        os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
