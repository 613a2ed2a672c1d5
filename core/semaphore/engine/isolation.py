"""Process isolation options: run task processes as another OS user, and inside a chroot.

Both need the server to run as root. ``task_run_as_user`` drops the task process (not the server)
to that user and its primary group, with no supplementary groups; the run's private directory
and checkout are handed to that user. ``task_chroot`` runs the process through ``chroot(8)``: the
directory must hold the interpreters the templates use (and their libraries), and ``tmp_path``
must lie inside it, because paths are translated by cutting the chroot prefix.
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semaphore.errors import ConfigError


@dataclass(frozen=True)
class Isolation:
    run_as_user: str = ""
    chroot: str = ""

    @classmethod
    def from_config(cls, config: Any) -> Isolation:
        isolation = cls(run_as_user=config.task_run_as_user, chroot=config.task_chroot.rstrip("/"))
        isolation.check(Path(config.tmp_path))
        return isolation

    def check(self, tmp_path: Path) -> None:
        """Fail at start, naming the key, when the options cannot work on this machine."""
        if not (self.run_as_user or self.chroot):
            return
        if os.geteuid() != 0:
            key = "task_run_as_user" if self.run_as_user else "task_chroot"
            raise ConfigError(f"{key}: the server must run as root to use it")
        if self.run_as_user:
            try:
                pwd.getpwnam(self.run_as_user)
            except KeyError:
                raise ConfigError(f"task_run_as_user: no such user {self.run_as_user!r}") from None
        if self.chroot:
            root = Path(self.chroot)
            if not root.is_dir():
                raise ConfigError(f"task_chroot: {self.chroot!r} is not a directory")
            if not tmp_path.resolve().is_relative_to(root.resolve()):
                raise ConfigError(f"task_chroot: tmp_path ({tmp_path}) must lie inside {self.chroot}")
            if shutil.which("chroot") is None:
                raise ConfigError("task_chroot: the chroot command is not installed")

    def hand_over(self, path: Path) -> None:
        """Give the run's directory tree to the task user (nothing to do without one)."""
        if not self.run_as_user:
            return
        entry = pwd.getpwnam(self.run_as_user)
        for directory, dirs, files in os.walk(path):
            for name in (directory, *(os.path.join(directory, n) for n in dirs + files)):
                os.lchown(name, entry.pw_uid, entry.pw_gid)

    def popen_kwargs(self) -> dict[str, Any]:
        if self.run_as_user and not self.chroot:
            entry = pwd.getpwnam(self.run_as_user)
            return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        return {}

    def wrap(self, argv: list[str], cwd: Path, env: Mapping[str, str]) -> tuple[list[str], str, dict[str, str]]:
        """The command line, working directory and environment to start the process with."""
        if not self.chroot:
            return list(argv), str(cwd), dict(env)
        inner = {name: self._inside(value) for name, value in env.items()}
        prefix = ["chroot"]
        if self.run_as_user:
            entry = pwd.getpwnam(self.run_as_user)
            prefix.append(f"--userspec={entry.pw_uid}:{entry.pw_gid}")
            prefix.append("--groups=")
        inner_cwd = self._inside(str(cwd))
        command = [*prefix, self.chroot, "/usr/bin/env", "-C", inner_cwd, *map(self._inside, argv)]
        return command, "/", inner

    def _inside(self, value: str) -> str:
        root = self.chroot
        if value == root:
            return "/"
        return value[len(root):] if value.startswith(root + "/") else value
