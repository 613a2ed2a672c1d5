"""Helpers for executors that build command lines the way the original Semaphore does (the
``ScriptExecutor`` base class in ``semaphore`` is built on them)."""

from semaphore.script_executor import HIDDEN_VARS, script_arguments, script_path_problem, var_argument, version_line

__all__ = ["HIDDEN_VARS", "script_arguments", "script_path_problem", "var_argument", "version_line"]
