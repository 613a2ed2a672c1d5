"""Where ansible's ssh connection keeps its multiplexing sockets during a run, and closing them.

A unix socket path must be shorter than 108 bytes, and ansible's default directory (``~/.ansible/cp``,
in the run's private directory) can be longer than that. A run whose private directory is too deep
gets a short directory under the system's temporary directory instead, owned like the private
directory. After the run the masters (``ControlPersist`` keeps them for 60 s) are told to exit, so
no ssh process outlives the task.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

MAX_SOCKET_DIR = 80  # ansible adds "/" and a 10-character hash; unix sockets take 107 bytes
EXIT_TIMEOUT_SECONDS = 5


@contextlib.contextmanager
def control_dir(private_dir: Path) -> Iterator[Path]:
    preferred = private_dir / ".ansible" / "cp"
    if len(str(preferred)) <= MAX_SOCKET_DIR:
        preferred.mkdir(parents=True, exist_ok=True)
        directory, temporary = preferred, False
    else:
        directory, temporary = Path(tempfile.mkdtemp(prefix="semaphore-ssh-")), True
        owner = private_dir.stat()
        if (owner.st_uid, owner.st_gid) != (os.geteuid(), os.getegid()):
            os.chown(directory, owner.st_uid, owner.st_gid)
    try:
        yield directory
    finally:
        close_masters(directory)
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)


def close_masters(directory: Path) -> None:
    """Ask every ssh master with a socket in ``directory`` to exit."""
    ssh = shutil.which("ssh")
    if ssh is None or not directory.is_dir():
        return
    for socket in directory.iterdir():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([ssh, "-o", f"ControlPath={socket}", "-O", "exit", "semaphore-ssh-master"],
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=EXIT_TIMEOUT_SECONDS, check=False)
