"""The `semaphore` command line."""

from semaphore.cli.entry import main, make_cli

__all__ = ["main", "make_cli"]
