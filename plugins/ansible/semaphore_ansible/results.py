"""Per-host results from the events our callback plugin wrote (see ``callback/semaphore_events.py``).

The final ``stats`` event gives ansible's own PLAY RECAP counts; a run that was stopped or crashed
before it has only task events, which are counted instead (ansible's counts also say ``rescued``,
which task events cannot tell). Failed tasks (not ignored) and unreachable hosts are listed with
their messages, in the order they happened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from semaphore import HostFailure, HostResult

STAT_FIELDS = {"ok": "ok", "changed": "changed", "failures": "failed", "unreachable": "unreachable",
               "skipped": "skipped", "rescued": "rescued", "ignored": "ignored"}


def read_events(path: Path) -> list[dict[str, Any]] | None:
    """The events of the file, None when the callback never wrote one (it was not loaded)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed process
        if isinstance(event, dict):
            events.append(event)
    return events


def host_results(events: list[dict[str, Any]]) -> list[HostResult]:
    failures: dict[str, list[HostFailure]] = {}
    tallies: dict[str, dict[str, int]] = {}
    stats: dict[str, dict[str, int]] | None = None
    for event in events:
        kind, host = event.get("event"), str(event.get("host", ""))
        if kind == "stats" and isinstance(event.get("hosts"), dict):
            stats = {str(name): {STAT_FIELDS[key]: int(value) for key, value in counts.items() if key in STAT_FIELDS}
                     for name, counts in event["hosts"].items() if isinstance(counts, dict)}
            continue
        if not host:
            continue
        tally = tallies.setdefault(host, dict.fromkeys(STAT_FIELDS.values(), 0))
        _count(tally, kind, event)
        if kind == "unreachable" or (kind == "failed" and not event.get("ignored")):
            failures.setdefault(host, []).append(HostFailure(str(event.get("task", "")), str(event.get("msg", ""))))
    counts = stats if stats is not None else tallies
    hosts = sorted(set(counts) | set(failures))
    return [HostResult(host, failures=tuple(failures.get(host, ())), **counts.get(host, {})) for host in hosts]


def _count(tally: dict[str, int], kind: Any, event: dict[str, Any]) -> None:
    """Count one task event the way ansible's stats do."""
    if kind == "ok":
        tally["ok"] += 1
        tally["changed"] += bool(event.get("changed"))
    elif kind == "failed":
        if event.get("ignored"):
            tally["ok"] += 1
            tally["ignored"] += 1
            tally["changed"] += bool(event.get("changed"))
        else:
            tally["failed"] += 1
    elif kind == "skipped":
        tally["skipped"] += 1
    elif kind == "unreachable":
        tally["unreachable"] += 1
