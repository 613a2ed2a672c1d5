"""The run's private directory (0700): the only place a run's secrets are written, each file 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from semaphore.engine.job_spec import KeySpec
from semaphore.engine.run_keys import RunPreparationError
from semaphore.execution import Credentials


def require_private_dir(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise RunPreparationError(f"private directory {path} cannot be used: {exc.strerror}") from exc
    if not stat.S_ISDIR(mode) or stat.S_IMODE(mode) & 0o077:
        raise RunPreparationError(f"private directory {path} must be a directory only its owner can open (0700)")


def write_private_file(directory: Path, name: str, text: str) -> Path:
    """A new file readable by the owner only; refuses to follow or reuse an existing path."""
    path = directory / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise RunPreparationError(f"cannot write {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # O_CREAT's mode passes through the umask
        handle.write(text)
    return path


class KeyFiles:
    """Turns keys into :class:`~semaphore.execution.Credentials`, writing each ssh key once as
    ``key_<id>`` in the private directory."""

    def __init__(self, private_dir: Path) -> None:
        self.private_dir = private_dir
        self._written: dict[int, Path] = {}

    def credentials(self, key: KeySpec | None) -> Credentials:
        """``type="none"`` for no key."""
        if key is None:
            return Credentials(type="none")
        if key.type == "login_password":
            return Credentials(type="login_password", login=key.login, password=key.password)
        if key.type != "ssh":
            raise RunPreparationError(f"access key {key.id} has type {key.type!r}: use an ssh or login_password key")
        if key.id not in self._written:
            # ssh refuses a key file without its final newline, and keys pasted from Windows carry CRs.
            text = key.private_key.replace("\r\n", "\n").rstrip("\n") + "\n"
            self._written[key.id] = write_private_file(self.private_dir, f"key_{key.id}", text)
        return Credentials(type="ssh", login=key.login, passphrase=key.passphrase,
                           private_key_path=self._written[key.id])

    def given(self, key: KeySpec | None) -> Credentials | None:
        """Like :meth:`credentials`, but None for no key (an inventory's optional keys)."""
        return None if key is None else self.credentials(key)
