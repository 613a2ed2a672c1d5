"""Check out a task's repository: one cache per repository, one working tree per run.

The cache is a bare repository ``<root>/<repository_id>.git``, cloned once and fetched before every
checkout under a lock that holds across threads and processes. Each run gets its own detached
``git worktree`` (so parallel runs of different branches never share files, and the cache's gc
knows which commits are in use); :meth:`RepositoryCache.release` removes it. A cache that git
reports as damaged is deleted and cloned again, once. A local path is used in place.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from semaphore.engine.git_command import CheckoutError, Git, GitFailed, install_askpass
from semaphore.engine.repository_lock import RepositoryLocks
from semaphore.execution import Credentials

__all__ = ["Checkout", "CheckoutError", "GitSource", "RepositoryCache"]

# In the cache: the URL it was cloned from. Written last, so it also marks a finished clone.
URL_FILE = "semaphore-source-url"
DEFAULT_HEAD = "refs/semaphore/default-head"  # the remote's HEAD as of the last fetch of the default branch
_BRANCH_REFSPEC = "+refs/heads/*:refs/remotes/origin/*"
_TAG_REFSPEC = "+refs/tags/*:refs/tags/*"
# git check-ref-format's rules, so a branch is never read as an option or a revision range.
_INVALID_BRANCH = re.compile(r"^[-/.]|/$|\.$|//|\.\.|/\.|@\{|^@$|\.lock(/|$)|[\x00-\x20\x7f~^:?*\[\\]")
_COMMIT = re.compile(r"^[0-9a-fA-F]{4,64}$")
_MISSING_REVISION = re.compile(r"bad revision|unknown revision")
_DAMAGED = re.compile(r"not a git repository: |does not match index|bad object|corrupt|missing (blob|tree|commit)"
                      r"|did not send all necessary objects|unable to read [0-9a-f]|bad config|\.lock'?: File exists",
                      re.IGNORECASE)


@dataclass(frozen=True)
class GitSource:
    url: str  # Repository.git_url: an absolute local path (used in place) or anything git clones from
    branch: str  # the effective branch; "" = the remote's default branch
    commit: str | None  # when set, exactly this commit is checked out
    credentials: Credentials | None


@dataclass(frozen=True)
class Checkout:
    path: Path  # the working tree the task runs in
    commit_hash: str  # "" when a local path is not a git repository
    commit_message: str  # its first line


class _CacheDamaged(Exception):
    """The cache cannot be used as it is; the message says why."""


class RepositoryCache:
    def __init__(self, root: Path, *, ssh_config_path: str = "", environ: Mapping[str, str] | None = None,
                 timeout: float = 600) -> None:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root = root.resolve()  # as git writes it into each working tree's .git file
        self.ssh_config_path = ssh_config_path
        self.environ = os.environ if environ is None else environ
        self.timeout = timeout
        self._askpass = install_askpass(self.root)
        self._locks = RepositoryLocks(self.root, timeout)

    def checkout(self, repository_id: int, source: GitSource, dest: Path, log: Callable[[str], None]) -> Checkout:
        """Bring the repository's cache up to date and check the source's commit out at ``dest`` (a
        local path is used in place instead). Raises :class:`CheckoutError`."""
        if source.url.startswith("/"):
            return self._use_local(self._git(source.credentials, log), source)
        source = password_out_of_url(source)
        git = self._git(source.credentials, log)
        _validate(source, dest)
        cache = self.root / f"{repository_id}.git"
        with self._locks.hold(repository_id, git.log):
            try:
                return self._check_out(git, cache, source, dest)
            except _CacheDamaged as damage:
                git.log(f"The repository cache is damaged ({damage}): removing it and cloning again")
            shutil.rmtree(cache, ignore_errors=True)
            try:
                return self._check_out(git, cache, source, dest)
            except _CacheDamaged as damage:
                raise CheckoutError(f"cannot check out {source.url}: {damage}") from None

    def release(self, checkout: Checkout) -> None:
        """Remove a working tree :meth:`checkout` made; a local repository is left alone."""
        cache = _owning_cache(checkout.path)
        if cache is None or cache.parent != self.root or not cache.name.removesuffix(".git").isdigit():
            return
        shutil.rmtree(checkout.path, ignore_errors=True)
        git = self._git(None, lambda line: None)
        # On failure the next release tries again; nothing the run could do about it.
        with suppress(CheckoutError), self._locks.hold(int(cache.name.removesuffix(".git")), git.log):
            git.run("worktree", "prune", git_dir=cache, quiet=True)
            git.run("maintenance", "run", "--auto", "--quiet", git_dir=cache, quiet=True)

    def _git(self, credentials: Credentials | None, log: Callable[[str], None]) -> Git:
        return Git(environ=self.environ, credentials=credentials, askpass=self._askpass,
                   ssh_config_path=self.ssh_config_path, log=log, timeout=self.timeout)

    def _use_local(self, git: Git, source: GitSource) -> Checkout:
        path = Path(source.url)
        if not path.is_dir():
            raise CheckoutError(f"local repository {path} does not exist")
        git.log(f"Using local repository {path}")
        if source.commit:
            git.log(f"A local repository is used as it is: commit {source.commit} is not checked out")
        try:
            head = git.run("log", "-1", "--format=%H%x1f%s", cwd=path, capture=True, quiet=True).output
        except GitFailed:  # not a git repository, or one without commits
            return Checkout(path, "", "")
        commit_hash, _, message = head.partition("\x1f")
        return Checkout(path, commit_hash, message)

    def _check_out(self, git: Git, cache: Path, source: GitSource, dest: Path) -> Checkout:
        if cache.exists():
            _check_cache(cache, source.url)
            git.log("Updating repository cache")
            self._fetch(git, cache, source, damage_possible=True)
        else:
            self._clone(git, cache, source)
        commit_hash, message = _resolve(git, cache, source)
        try:
            git.run("worktree", "add", "--detach", "--force", str(dest), commit_hash, git_dir=cache)
        except GitFailed as failure:
            _clear(dest)
            raise _CacheDamaged(str(failure)) from None
        if (dest / ".gitmodules").exists():
            git.log("Updating submodules")
            try:
                # sync: the cache's config keeps the URL of a submodule from an earlier checkout
                git.run("submodule", "sync", "--recursive", cwd=dest)
                git.run("submodule", "update", "--init", "--recursive", cwd=dest)
            except CheckoutError:
                _clear(dest)
                with suppress(CheckoutError):
                    git.run("worktree", "prune", git_dir=cache, quiet=True)
                raise
        return Checkout(dest, commit_hash, message)

    def _clone(self, git: Git, cache: Path, source: GitSource) -> None:
        git.log(f"Cloning repository {source.url}")
        for leftover in self.root.glob(f"{cache.name}.*.tmp"):  # from a process that died while cloning
            shutil.rmtree(leftover, ignore_errors=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{cache.name}.", suffix=".tmp", dir=self.root))
        try:
            git.run("init", "--bare", "--quiet", str(partial))
            git.run("remote", "add", "origin", source.url, git_dir=partial)
            self._fetch(git, partial, source, damage_possible=False)
            (partial / URL_FILE).write_text(source.url)
            partial.rename(cache)
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def _fetch(self, git: Git, cache: Path, source: GitSource, *, damage_possible: bool) -> None:
        refspecs = [_BRANCH_REFSPEC, _TAG_REFSPEC]
        if not source.branch and not source.commit:
            refspecs.append(f"+HEAD:{DEFAULT_HEAD}")
        try:
            # gc is left to release(), after the run: not on the way to the task's start
            fetched = git.run("fetch", "--prune", "--force", "--no-write-fetch-head", "--no-auto-maintenance",
                              "origin", *refspecs, git_dir=cache)
        except GitFailed as failure:
            if damage_possible and (damage := _damage(failure.output)):
                raise _CacheDamaged(damage) from None
            if "couldn't find remote ref HEAD" in failure.output:
                raise CheckoutError(f"{source.url} has no default branch: set a branch") from None
            raise CheckoutError(f"cannot fetch {source.url}: {failure}") from None
        # git fetches again what it cannot read, so a damaged pack only shows in its complaints
        if damage_possible and (damage := _damage(fetched.errors)):
            raise _CacheDamaged(damage)


def password_out_of_url(source: GitSource) -> GitSource:
    """A password written into the URL is answered through askpass, like a key store password, so
    that it is stored nowhere (the cache's config keeps the URL) and never logged."""
    parts = urlsplit(source.url)
    if parts.password is None:
        return source
    host = parts.netloc.rpartition("@")[2]
    url = parts._replace(netloc=f"{parts.username}@{host}" if parts.username else host).geturl()
    credentials = source.credentials
    if credentials is None or credentials.type == "none":
        credentials = Credentials(type="login_password", login=unquote(parts.username or ""),
                                  password=unquote(parts.password))
    return replace(source, url=url, credentials=credentials)


def _validate(source: GitSource, dest: Path) -> None:
    if not source.url or source.url.startswith("-"):
        raise CheckoutError(f"invalid repository URL {source.url!r}")
    if source.commit and not _COMMIT.match(source.commit):
        raise CheckoutError(f"commit {source.commit!r} is not a commit hash")
    if source.branch and _INVALID_BRANCH.search(source.branch):
        raise CheckoutError(f"branch {source.branch!r} is not a valid branch name")
    if dest.exists() and any(dest.iterdir()):
        raise CheckoutError(f"cannot check out into {dest}: the directory is not empty")


def _check_cache(cache: Path, url: str) -> None:
    try:
        cloned_from = (cache / URL_FILE).read_text()
    except OSError:
        raise _CacheDamaged("its clone never finished") from None
    if cloned_from != url:
        raise _CacheDamaged("the repository URL changed")


def _resolve(git: Git, cache: Path, source: GitSource) -> tuple[str, str]:
    """The commit to check out and its message; logs what is checked out."""
    if source.commit:
        revision, what = f"{source.commit}^{{commit}}", f"commit {source.commit}"
    elif source.branch:
        revision, what = f"refs/remotes/origin/{source.branch}", f"branch {source.branch}"
    else:
        revision, what = DEFAULT_HEAD, "the default branch"
    try:
        found = git.run("log", "-1", "--format=%H%x1f%D%x1f%s", "--decorate-refs=refs/remotes/origin/", revision,
                        "--", git_dir=cache, capture=True).output
    except GitFailed as failure:
        missing = _MISSING_REVISION.search(failure.output) or (source.commit and "bad object" in failure.output)
        if missing:
            raise CheckoutError(f"{what} not found in {source.url}") from None
        raise _CacheDamaged(str(failure)) from None
    commit_hash, branches, message = found.split("\x1f", 2)
    if not source.branch and not source.commit and branches.count("origin/") == 1:
        what += f" {branches.removeprefix('origin/')}"
    git.log(f"Checking out {what} ({commit_hash}): {message}")
    return commit_hash, message


def _damage(errors: str) -> str | None:
    """The first line of git's output that says the cache is damaged."""
    return next((line for line in errors.splitlines() if _DAMAGED.search(line)), None)


def _owning_cache(tree: Path) -> Path | None:
    """The cache a working tree was added from: its .git file names ``<cache>/worktrees/<name>``."""
    try:
        pointer = (tree / ".git").read_text()
    except OSError:  # gone already, or .git is a directory: not a tree of ours
        return None
    if not pointer.startswith("gitdir: "):
        return None
    return Path(pointer.removeprefix("gitdir: ").strip()).parent.parent


def _clear(dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
