"""Build version numbering (services/versions.py)."""

from __future__ import annotations

import pytest

from semaphore.services.versions import Version, next_build_version, parse_version


@pytest.mark.parametrize(("text", "parts"), [
    ("1.0.0", ("1.0.", 0, "")),
    ("v2-rc", ("v", 2, "-rc")),
    ("42", ("", 42, "")),
    ("release-2024.10", ("release-2024.", 10, "")),
    ("build-007", ("build-", 7, "")),
    ("1.2.3-beta", ("1.2.", 3, "-beta")),
])
def test_parse_version(text, parts):
    version = parse_version(text)
    assert version is not None
    assert (version.prefix, version.number, version.suffix) == parts
    assert str(version) == text


@pytest.mark.parametrize("text", ["", None, "latest", "v-rc"])
def test_a_version_without_a_number_is_none(text):
    assert parse_version(text) is None


@pytest.mark.parametrize(("start", "earlier", "expected"), [
    ("1.0.0", [], "1.0.0"),
    ("1.0.0", ["1.0.0"], "1.0.1"),
    ("1.0.0", ["1.0.0", "1.0.1", "1.0.2"], "1.0.3"),
    ("1.0.0", ["1.0.2", "1.0.0"], "1.0.3"),  # the highest earlier build counts, not the newest
    ("1.0.10", ["1.0.2"], "1.0.10"),  # a raised start version wins
    ("1.0.5", ["1.0.10"], "1.0.11"),  # a lowered one never hands out a version twice
    ("v2-rc", ["1.0.3", None], "v2-rc"),  # another series starts at its start version
    ("v2-rc", ["v2-rc", "v3-rc"], "v4-rc"),
    ("v2-rc", ["v7-beta"], "v2-rc"),
    ("build-007", ["build-007"], "build-008"),
    ("build-099", ["build-099"], "build-100"),
    ("9", ["9"], "10"),
])
def test_next_build_version(start, earlier, expected):
    assert next_build_version(start, earlier) == expected


def test_start_version_needs_a_number():
    with pytest.raises(ValueError, match="holds no number"):
        next_build_version("latest", [])


def test_version_series():
    assert Version("v", 1, "-rc", 1).same_series(Version("v", 9, "-rc", 1))
    assert not Version("v", 1, "-rc", 1).same_series(Version("v", 1, "", 1))
