"""Build versions: ``start_version`` "1.0.0" gives 1.0.0, 1.0.1, 1.0.2 ...; "v2-rc" gives v2-rc, v3-rc ...

A version is split into prefix, number (the last run of digits) and suffix. The next build takes
the start version's number or one more than the highest earlier build with the same prefix and
suffix, whichever is larger, so a version is never handed out twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

VERSION_PATTERN = re.compile(r"^(.*[^\d])?(\d+)([^\d].*)?$", re.DOTALL)


@dataclass(frozen=True)
class Version:
    prefix: str
    number: int
    suffix: str
    width: int  # digits written, so "build-007" is followed by "build-008"

    def __str__(self) -> str:
        return f"{self.prefix}{self.number:0{self.width}d}{self.suffix}"

    def same_series(self, other: Version) -> bool:
        return (self.prefix, self.suffix) == (other.prefix, other.suffix)


def parse_version(text: str | None) -> Version | None:
    """The parts of ``text``, or None when it holds no number."""
    match = VERSION_PATTERN.match(text or "")
    if match is None:
        return None
    prefix, digits, suffix = match.group(1) or "", match.group(2), match.group(3) or ""
    width = len(digits) if digits.startswith("0") and len(digits) > 1 else 1
    return Version(prefix, int(digits), suffix, width)


def next_build_version(start_version: str, earlier: Iterable[str | None]) -> str:
    """The version of a new build of a template whose builds so far carry ``earlier`` versions."""
    start = parse_version(start_version)
    if start is None:
        raise ValueError(f"start version {start_version!r} holds no number")
    numbers = [v.number for v in map(parse_version, earlier) if v is not None and v.same_series(start)]
    number = max([start.number, *(n + 1 for n in numbers)])
    return str(Version(start.prefix, number, start.suffix, start.width))
