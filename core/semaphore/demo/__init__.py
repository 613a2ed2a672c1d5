"""The demo repository that ``POST /api/projects {"demo": true}`` builds a project from: playbooks
and scripts that run on the server itself, without network (see services/demo_project.py)."""

from __future__ import annotations

from pathlib import Path


def repository_path() -> Path:
    """Where the demo repository is installed: a local-path repository, used in place."""
    return Path(__file__).resolve().parent
