"""A password written into a repository's git URL (``https://login:password@host/path``) is a
secret: it is answered as ``***``, and a URL sent back with ``***`` keeps the stored password — for
the same scheme, login, host and port only, so the mask never carries it to another server."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

from semaphore.errors import ValidationError

MASK = "***"


def masked(git_url: str) -> str:
    """The URL with its password, if it has one, replaced by ``***``."""
    parts = _parts(git_url)
    if parts is None or parts.password is None:
        return git_url
    return _with_password(parts, MASK)


def with_stored_password(git_url: str, stored: str | None) -> str:
    """``git_url`` as it is to be stored: a password of ``***`` stands for ``stored``'s password.
    ValidationError (on git_url) when there is none to stand for, or the URL now points elsewhere."""
    parts = _parts(git_url)
    if parts is None or parts.password != MASK:
        return git_url
    old = _parts(stored) if stored else None
    if old is None or old.password is None or _account(old) != _account(parts):
        raise ValidationError(f"{MASK} stands for the stored password of the same login and host only: "
                              "enter the password again (or better, put it in a key)", field="git_url")
    return _with_password(parts, old.password)


def _parts(url: str) -> SplitResult | None:
    if "://" not in url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    return parts


def _account(parts: SplitResult) -> tuple[str, str | None, str, int | None]:
    return parts.scheme.lower(), parts.username, (parts.hostname or "").lower(), parts.port


def _with_password(parts: SplitResult, password: str) -> str:
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{password}@{host}"))


def without_password(git_url: str) -> str:
    """The URL with its password, if it has one, left out (the login stays)."""
    parts = _parts(git_url)
    if parts is None or parts.password is None:
        return git_url
    host = parts.netloc.rpartition("@")[2]
    login = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{login}{host}"))
