"""The commit a repository's branch points at, asked with ``git ls-remote`` and the repository's
own key (the same git set-up as checkouts: no prompts, secrets only through the environment)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session as DbSession

from semaphore.config import Config
from semaphore.crypto import SecretBox
from semaphore.db.models import Repository
from semaphore.engine.checkout import CheckoutError, GitSource, password_out_of_url
from semaphore.engine.git_command import Git, install_askpass
from semaphore.engine.private_files import KeyFiles
from semaphore.engine.run_keys import RunKeys, SecretValues
from semaphore.services.local_repositories import run_refusal

LS_REMOTE_TIMEOUT = 60  # seconds; a remote that does not answer must not hold the scheduler for long


class BranchHeadError(CheckoutError):
    """The branch head could not be read; the message says why and holds no secret."""


def branch_head(db: DbSession, config: Config, box: SecretBox, repository: Repository) -> str:
    """The commit hash at the head of the repository's branch (the remote's default branch when
    the repository names none); ``box`` decrypts the repository's key. Raises
    :class:`BranchHeadError`, or RunPreparationError for a key that cannot be used."""
    refusal = run_refusal(repository.git_url, repository.admin_approved_url, config)
    if refusal:
        raise BranchHeadError(refusal)
    branch = repository.git_branch or ""
    ref = f"refs/heads/{branch}" if branch else "HEAD"
    root = Path(config.tmp_path) / "schedules"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A private directory per look-up: an ssh key is written there as a 0600 file, and removed after.
    with tempfile.TemporaryDirectory(dir=root) as private:
        private_dir = Path(private)
        key = RunKeys(db, box, SecretValues()).key(repository.ssh_key_id, f"the key of repository {repository.name!r}")
        credentials = KeyFiles(private_dir).credentials(key)
        source = password_out_of_url(GitSource(repository.git_url, branch, None, credentials))
        if not source.url or source.url.startswith("-"):
            raise BranchHeadError(f"invalid repository URL {source.url!r}")
        git = Git(environ=os.environ, credentials=source.credentials, askpass=install_askpass(private_dir),
                  ssh_config_path=config.ssh_config_path, log=lambda line: None, timeout=LS_REMOTE_TIMEOUT)
        output = git.run("ls-remote", source.url, ref, capture=True, quiet=True).output
    for line in output.splitlines():
        commit, _, name = line.partition("\t")
        if name == ref:
            return commit
    raise BranchHeadError(f"branch {branch or '(default)'} not found in {source.url}")
