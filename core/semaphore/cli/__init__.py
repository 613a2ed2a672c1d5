"""The `semaphore` command line, one module per concern:

* ``entry``: ``main`` (the console script), the command list, plugin commands and the one-line errors;
* ``root``: the root group, the original's aliases and the global options every command takes;
* ``server``, ``database`` (``migrate`` and the session commands work in), ``users``, ``vault``,
  ``info`` (``version``, ``help``, ``plugins``), ``setup_command`` with ``setup_wizard``, ``runner``
  (the remote runner's commands) with ``runner_setup``;
* ``prompts``: the questions the setup commands ask, and the checks of their answers.
"""

from semaphore.cli.entry import main, make_cli

__all__ = ["main", "make_cli"]
