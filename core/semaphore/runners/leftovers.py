"""What a killed runner process leaves on its machine, and its removal when the runner starts again.

A runner process removes a run's private directory (under ``<tmp_path>/runs``) when the run ends,
and stops the run's processes, each in its own process group, when it stops. Killed (SIGKILL, a
crash, a reboot) it does neither. So every run of a runner has a record beside its directory,
``<runs>/<directory name>.runner.json`` (0600, in the runner's runs directory, which a task running
as another user cannot write): the runner process and the process groups the run started, each
with its leader's identity (the boot id and the process's start time, from ``/proc``: a recycled
pid does not share them).

At ``semaphore runner start``, :func:`clean_leftovers` looks at the records of runner processes
that are gone: each recorded group whose leader is still that very process is killed (SIGKILL to
the group), then the directory and the record are removed. A group whose leader exited is left
alone (its id may be another process's by now), as is every record of a runner process still
alive (another runner sharing ``tmp_path``); a directory without a record (the server's own runs,
when it shares ``tmp_path``) is never touched. Without ``/proc`` nothing is identified, so nothing
is killed or removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
from pathlib import Path

__all__ = ["RunRecord", "clean_leftovers", "identity"]

log = logging.getLogger(__name__)

SUFFIX = ".runner.json"


def identity(pid: int) -> str | None:
    """``boot id:start time`` of process ``pid``; None when it does not exist (or no ``/proc``)."""
    try:
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return f"{boot_id}:{fields[19]}" if len(fields) > 19 else None  # field 22 of stat: the start time


def _group_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None


class RunRecord:
    """The record of one run of this runner process (see the module's docstring)."""

    def __init__(self, private_dir: Path) -> None:
        self.path = private_dir.with_name(private_dir.name + SUFFIX)
        self._runner = (os.getpid(), identity(os.getpid()))
        self._groups: list[tuple[int, str | None]] = []
        self._write()

    def add_group(self, pgid: int) -> None:
        """A process of the run started, leading its own group ``pgid``."""
        self._groups.append((pgid, identity(pgid)))
        try:
            self._write()
        except OSError as exc:  # the run goes on; only a clean-up after a crash would miss it
            log.warning("the record of run %s cannot be written: %s", self.path, exc)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _write(self) -> None:
        partial = self.path.with_name(self.path.name + ".new")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump({"runner_pid": self._runner[0], "runner": self._runner[1], "groups": self._groups}, file)
        os.replace(partial, self.path)


def clean_leftovers(runs_dir: Path) -> int:
    """Kill the groups and remove the directories of runs whose runner process is gone; how many."""
    cleaned = 0
    for record in sorted(runs_dir.glob("*" + SUFFIX)):
        try:
            content = json.loads(record.read_text())
            runner_pid, runner = int(content["runner_pid"]), content["runner"]
            groups = [(int(pgid), leader) for pgid, leader in content["groups"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # half written, or not ours: left alone
        if runner is None or identity(runner_pid) == runner:
            continue  # unidentified, or its runner process still runs it
        for pgid, leader in groups:
            if leader is not None and identity(pgid) == leader and _group_of(pgid) == pgid:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                log.warning("killed process group %s, left running by an earlier runner process", pgid)
        shutil.rmtree(record.with_name(record.name.removesuffix(SUFFIX)), ignore_errors=True)
        record.unlink(missing_ok=True)
        cleaned += 1
    if cleaned:
        log.warning("removed %s run director%s left by an earlier runner process", cleaned,
                    "y" if cleaned == 1 else "ies")
    return cleaned
