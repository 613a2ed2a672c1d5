"""Asking questions at a terminal or of piped answers, as the setup commands (`semaphore setup`,
`semaphore runner setup`) do, and the checks of answers they share.

Answers are read line by line, so the questions work as well with answers piped on stdin
(scripts, container entry points) as at a terminal. An invalid answer is explained and asked
again; the end of the input is an error that names the question left unanswered.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from semaphore.errors import SemaphoreError, ValidationError


class Prompter:
    """Asks questions on a text stream. Secrets are read without echo only at a terminal."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin, self.stdout = stdin, stdout
        self.interactive = stdin.isatty()

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def ask(self, question: str, default: str = "", check: Callable[[str], str] | None = None,
            secret: bool = False) -> str:
        """The answer (or ``default`` for an empty one), passed through ``check``, which raises
        ValidationError for an answer that must be asked again."""
        label = f"{question} (default {default}): " if default and not secret else f"{question}: "
        while True:
            value = self._read(label, question, secret).strip() or default
            try:
                return check(value) if check else value
            except ValidationError as exc:
                self.say(f"  {exc.message}")

    def confirm(self, question: str, default: bool = False) -> bool:
        def yes_no(answer: str) -> str:
            if answer.lower() not in ("y", "yes", "n", "no"):
                raise ValidationError("answer yes or no")
            return answer.lower()[0]
        return self.ask(f"{question} (yes/no)", "yes" if default else "no", yes_no) == "y"

    def _read(self, label: str, question: str, secret: bool) -> str:
        if secret and self.interactive:
            return getpass.getpass(label, stream=self.stdout)
        self.stdout.write(label)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            raise SemaphoreError(f"setup: input ended before an answer to {question!r}")
        answer = line.rstrip("\r\n")
        if not self.interactive:  # piped answers are not echoed by a terminal; keep the transcript readable
            self.stdout.write(("*" * 8 if secret and answer else answer) + "\n")
        return answer


# -- answer checks: return the value to keep, or raise ValidationError to ask again ----------

def directory(answer: str) -> str:
    if not answer:
        raise ValidationError("a directory is required")
    path = Path(answer).expanduser().absolute()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"cannot use {path}: {exc.strerror}") from None
    return str(path)


def public_url(answer: str) -> str:
    if not answer:
        return ""
    parts = urlsplit(answer)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("give an http:// or https:// URL, or nothing")
    return answer.rstrip("/")


def file_path(answer: str) -> str:
    path = Path(answer).expanduser().absolute()
    if path.is_dir():
        raise ValidationError(f"{path} is a directory; give a file name")
    return str(path)
