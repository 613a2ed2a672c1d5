"""Secret values replaced by ``********`` in task output, before it is stored or streamed.

Values shorter than :data:`MIN_SECRET_LENGTH` characters are not masked: hiding every "no" or
"1" would mangle the whole log while protecting nothing (such a value is guessed at once).
A multi-line secret (a private key) is masked line by line, since output is stored and shown
line by line.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "********"
MIN_SECRET_LENGTH = 3


class Masker:
    """Replaces every known secret value in a piece of text (one line or many)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            if not isinstance(secret, str):
                continue
            for line in secret.splitlines():
                line = line.strip()
                if len(line) >= MIN_SECRET_LENGTH:
                    values.add(line)
        # Longest first: a secret that contains another is replaced whole.
        self.values: tuple[str, ...] = tuple(sorted(values, key=lambda v: (-len(v), v)))

    def __bool__(self) -> bool:
        return bool(self.values)

    def with_secrets(self, secrets: Iterable[str | None]) -> Masker:
        return Masker([*self.values, *secrets])

    def mask(self, text: str) -> str:
        # str.replace scans in C; with a handful of secrets this beats one alternation regex.
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def mask_cut(self, text: str) -> str:
        """Mask ``text`` that was cut short: a secret cut in two leaves no visible beginning."""
        text = self.mask(text)
        for value in self.values:
            for length in range(min(len(value) - 1, len(text)), 0, -1):
                if text.endswith(value[:length]):
                    return text[:-length] + MASK
        return text
