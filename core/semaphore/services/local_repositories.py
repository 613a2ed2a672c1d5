"""Which server directories a repository may read.

A repository whose ``git_url`` is a local path or a ``file://`` URL runs code from the server's own
disk, as the server's user: left to every project manager, it would let one read the server's keys
and other projects' files. So such a URL is accepted only

* under a directory listed in ``local_repository_roots`` (or the demo repository shipped in the
  package), for anyone who may manage the project's repositories, or
* anywhere, when a system administrator writes it: the repository then remembers the URL the
  administrator approved (``admin_approved_url``).

Runs check again (:func:`run_refusal`): a repository saved before this rule, or one whose
directory has since become a symlink out of its root, is refused until an administrator saves it
or its directory is listed. Paths are compared after resolving symlinks and ``..``.
"""

from __future__ import annotations

import os
from urllib.parse import unquote

from semaphore import demo
from semaphore.config import Config
from semaphore.errors import Forbidden


def local_path(git_url: str) -> str | None:
    """The server path that git reads for ``git_url`` (None for a remote repository). git ignores
    a file:// URL's host and decodes its %-escapes; a plain path is taken as it is."""
    if git_url.startswith("/"):
        return git_url
    if git_url[:7].lower() == "file://":
        rest = git_url[7:]
        return unquote(rest[rest.find("/"):]) if "/" in rest else ""
    return None


def is_under_allowed_root(path: str, config: Config) -> bool:
    """Whether ``path``, with symlinks and ``..`` resolved, lies in an allowed directory."""
    if not path.startswith("/"):
        return False
    real = os.path.realpath(path)
    roots = [os.path.realpath(root) for root in (*config.local_repository_roots, str(demo.repository_path()))]
    return any(_inside(real, root) for root in roots)


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def check_write_allowed(git_url: str, by_admin: bool, config: Config) -> None:
    """Refuse (403 naming git_url) a local repository that a non-administrator points outside the
    allowed directories."""
    path = local_path(git_url)
    if path is None or by_admin or is_under_allowed_root(path, config):
        return
    raise Forbidden("git_url: only a system administrator may use a local path or file:// URL outside the "
                    "directories listed in local_repository_roots", field="git_url")


def run_refusal(git_url: str, admin_approved_url: str | None, config: Config) -> str | None:
    """Why a run may not read this repository (None when it may)."""
    path = local_path(git_url)
    if path is None or git_url == admin_approved_url or is_under_allowed_root(path, config):
        return None
    return (f"the local repository {path} lies outside local_repository_roots and was not saved by a system "
            "administrator: an administrator must save the repository again, or list its directory in "
            "local_repository_roots")
