"""The code checks a contributor runs before a commit, kept green by the suite: ruff's lint rules
(pyproject.toml [tool.ruff]) over the whole tree and mypy's type check of the core."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def check(*argv: str) -> None:
    done = subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_finds_nothing():
    check("ruff", "check", "--no-cache", ".")


def test_mypy_finds_no_type_errors():
    check("mypy", "--cache-dir", "/dev/null")
