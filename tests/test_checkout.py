"""Repository checkout for task runs (semaphore.engine.checkout), against real git: file:// and local
paths, git daemon, smart HTTP with basic auth and sshd, with real keys and passphrases."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from git_servers import GitDaemon, HttpGitServer, SourceRepo, SshGitServer, git, make_key

from semaphore.engine.checkout import Checkout, CheckoutError, GitSource, RepositoryCache
from semaphore.execution import Credentials


class Log(list[str]):
    """The task log: every line a checkout wrote."""

    def __call__(self, line: str) -> None:
        self.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self)


def environ(tmp_path: Path, path: str | None = None) -> dict[str, str]:
    """What the engine passes: PATH, and a HOME without the developer's git or ssh config."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"PATH": path or os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}


def source(url: str, branch: str = "", commit: str | None = None, credentials: Credentials | None = None):
    return GitSource(url=url, branch=branch, commit=commit, credentials=credentials)


def read(checkout: Checkout, name: str) -> str:
    return (checkout.path / name).read_text()


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory) -> SourceRepo:
    return SourceRepo.create(tmp_path_factory.mktemp("template"))


@pytest.fixture
def repo(template_repo, tmp_path: Path) -> SourceRepo:
    return template_repo.copy(tmp_path / "served")


@pytest.fixture
def cache(tmp_path: Path) -> RepositoryCache:
    return RepositoryCache(tmp_path / "cache", environ=environ(tmp_path))


@pytest.fixture
def log() -> Log:
    return Log()


def test_default_branch_is_the_remotes_head(repo, cache, tmp_path, log):
    checkout = cache.checkout(1, source(repo.file_url), tmp_path / "run" / "repository", log)

    assert checkout == Checkout(tmp_path / "run" / "repository", repo.head("main"), "Add the app")
    assert read(checkout, "app.txt") == "main version\n"
    assert not (checkout.path / "feature.txt").exists()
    assert log[0] == f"Cloning repository {repo.file_url}"
    assert f"Checking out the default branch main ({repo.head('main')}): Add the app" in log

    git("symbolic-ref", "HEAD", "refs/heads/feature", cwd=repo.bare)
    checkout = cache.checkout(1, source(repo.file_url), tmp_path / "run2", log)
    assert read(checkout, "app.txt") == "feature version\n"


def test_branch_and_commit(repo, cache, tmp_path, log):
    feature = cache.checkout(1, source(repo.file_url, "feature"), tmp_path / "feature", log)
    first = git("rev-list", "--max-parents=0", "main", cwd=repo.work)
    pinned = cache.checkout(1, source(repo.file_url, "feature", commit=first), tmp_path / "pinned", log)

    assert (read(feature, "app.txt"), read(feature, "feature.txt")) == ("feature version\n", "only on feature\n")
    assert feature.commit_hash == repo.head("feature")
    assert f"Checking out branch feature ({repo.head('feature')}): Add the feature file" in log
    assert pinned.commit_hash == first and pinned.commit_message == "Initial commit"
    assert sorted(path.name for path in pinned.path.iterdir()) == [".git", "README.md"]
    assert git("status", "--porcelain", cwd=pinned.path) == ""


def test_new_commits_reach_the_next_checkout_from_the_same_cache(repo, cache, tmp_path, log):
    cache.release(cache.checkout(7, source(repo.file_url, "main"), tmp_path / "first", log))
    (tmp_path / "cache" / "7.git" / "marker").write_text("cloned once")
    new_commit = repo.commit("app.txt", "main version 2\n", "Second version", branch="main")
    log.clear()

    checkout = cache.checkout(7, source(repo.file_url, "main"), tmp_path / "second", log)

    assert read(checkout, "app.txt") == "main version 2\n"
    assert checkout.commit_hash == new_commit
    assert log[0] == "Updating repository cache"
    assert not [line for line in log if "Cloning" in line]
    assert (tmp_path / "cache" / "7.git" / "marker").exists()


def _truncate_pack(cache_dir: Path, repo: SourceRepo) -> None:
    git("--git-dir", str(cache_dir), "gc", "--quiet")
    packs = list((cache_dir / "objects" / "pack").glob("*.pack"))
    assert packs
    for pack in packs:
        os.truncate(pack, 100)


def _garbage_head(cache_dir: Path, repo: SourceRepo) -> None:
    (cache_dir / "HEAD").write_text("garbage\n")


def _remove_objects_directory(cache_dir: Path, repo: SourceRepo) -> None:
    shutil.rmtree(cache_dir / "objects")


def _unfinished_clone(cache_dir: Path, repo: SourceRepo) -> None:
    (cache_dir / "semaphore-source-url").unlink()


def _stale_lock(cache_dir: Path, repo: SourceRepo) -> None:
    (cache_dir / "refs" / "remotes" / "origin" / "main.lock").write_text("")  # left by a git that was killed
    repo.commit("new.txt", "x\n", "A new commit", branch="main")  # so the fetch has refs to write


@pytest.mark.parametrize("damage", [_remove_objects_directory, _truncate_pack, _garbage_head, _unfinished_clone,
                                    _stale_lock])
def test_a_damaged_cache_is_removed_and_cloned_again(repo, cache, tmp_path, log, damage):
    cache.release(cache.checkout(3, source(repo.file_url, "feature"), tmp_path / "first", log))
    damage(tmp_path / "cache" / "3.git", repo)
    log.clear()

    checkout = cache.checkout(3, source(repo.file_url, "feature"), tmp_path / "second", log)

    assert read(checkout, "feature.txt") == "only on feature\n"
    assert checkout.commit_hash == repo.head("feature")
    damaged = [line for line in log if line.startswith("The repository cache is damaged")]
    assert len(damaged) == 1 and damaged[0].endswith("removing it and cloning again"), log.text
    assert f"Cloning repository {repo.file_url}" in log


def test_lost_objects_are_fetched_again(repo, cache, tmp_path, log):
    cache.release(cache.checkout(3, source(repo.file_url, "feature"), tmp_path / "first", log))
    loose = [path for path in (tmp_path / "cache" / "3.git" / "objects").glob("??/*")]
    assert loose
    for path in loose:
        path.unlink()

    checkout = cache.checkout(3, source(repo.file_url, "feature"), tmp_path / "second", log)

    assert read(checkout, "feature.txt") == "only on feature\n"


def test_a_changed_url_clones_the_new_repository(repo, cache, tmp_path, log):
    cache.checkout(3, source(repo.file_url), tmp_path / "first", log)
    other = repo.copy(tmp_path / "moved")
    other.commit("app.txt", "moved version\n", "Moved", branch="main")

    checkout = cache.checkout(3, source(other.file_url), tmp_path / "second", log)

    assert read(checkout, "app.txt") == "moved version\n"
    assert "The repository cache is damaged (the repository URL changed): removing it and cloning again" in log


@pytest.mark.parametrize(("branch", "commit", "message"), [
    ("no-such-branch", None, "branch no-such-branch not found in file://"),
    ("main", "0123456789abcdef0123456789abcdef01234567",
     "commit 0123456789abcdef0123456789abcdef01234567 not found in file://"),
    ("main", "deadbeef", "commit deadbeef not found in file://"),
])
def test_a_missing_branch_or_commit_fails_naming_it(repo, cache, tmp_path, log, branch, commit, message):
    cache.checkout(1, source(repo.file_url), tmp_path / "warm", log)
    log.clear()

    with pytest.raises(CheckoutError, match=message):
        cache.checkout(1, source(repo.file_url, branch, commit), tmp_path / "missing", log)
    assert not (tmp_path / "missing").exists()
    assert not [line for line in log if "damaged" in line or "Cloning" in line], log.text


@pytest.mark.parametrize(("branch", "commit", "message"), [
    ("--upload-pack=touch /tmp/x", None, "is not a valid branch name"),
    ("main..feature", None, "is not a valid branch name"),
    ("main", "HEAD~1", "is not a commit hash"),
])
def test_branch_and_commit_are_never_read_as_options_or_expressions(repo, cache, tmp_path, log, branch, commit,
                                                                     message):
    with pytest.raises(CheckoutError, match=message):
        cache.checkout(1, source(repo.file_url, branch, commit), tmp_path / "run", log)
    assert log == []


def test_a_non_empty_destination_is_refused(repo, cache, tmp_path, log):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "leftover").write_text("")
    with pytest.raises(CheckoutError, match="is not empty"):
        cache.checkout(1, source(repo.file_url), tmp_path / "run", log)


def test_parallel_checkouts_of_two_branches_get_their_own_files(repo, tmp_path):
    # Two caches on one root lock each other only through the lock file, as two server processes do.
    caches = [RepositoryCache(tmp_path / "cache", environ=environ(tmp_path)) for _ in range(2)]
    expected = {"main": "main version\n", "feature": "feature version\n"}
    results: dict[tuple[str, int], str] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(index: int, branch: str) -> None:
        try:
            for attempt in range(5):
                start.wait(timeout=30)
                checkout = caches[index].checkout(5, source(repo.file_url, branch), tmp_path / f"{branch}{attempt}",
                                                  Log())
                results[branch, attempt] = read(checkout, "app.txt")
                caches[index].release(checkout)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=run, args=(index, branch)) for index, branch in enumerate(expected)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert results == {(branch, attempt): expected[branch] for branch in expected for attempt in range(5)}


def test_release_removes_the_working_tree(repo, cache, tmp_path, log):
    checkout = cache.checkout(1, source(repo.file_url), tmp_path / "run", log)
    cache_dir = tmp_path / "cache" / "1.git"
    assert len(git("--git-dir", str(cache_dir), "worktree", "list").splitlines()) == 2

    cache.release(checkout)

    assert not checkout.path.exists()
    assert git("--git-dir", str(cache_dir), "worktree", "list").splitlines() == [f"{cache_dir}  (bare)"]
    cache.release(checkout)  # twice is harmless


def test_a_local_path_is_used_in_place(repo, cache, tmp_path, log):
    checkout = cache.checkout(1, source(str(repo.work), "feature", commit="abc123"), tmp_path / "run", log)

    assert checkout == Checkout(repo.work, repo.head("main"), "Add the app")
    assert not (tmp_path / "run").exists()
    assert log == [f"Using local repository {repo.work}",
                   "A local repository is used as it is: commit abc123 is not checked out"]
    cache.release(checkout)
    assert (repo.work / "app.txt").exists()

    plain = tmp_path / "plain"
    plain.mkdir()
    assert cache.checkout(1, source(str(plain)), tmp_path / "run", log) == Checkout(plain, "", "")
    with pytest.raises(CheckoutError, match=f"local repository {tmp_path / 'absent'} does not exist"):
        cache.checkout(1, source(str(tmp_path / "absent")), tmp_path / "run", log)


def test_a_warm_checkout_runs_three_git_commands(repo, tmp_path, log):
    """The engine starts a task within 100 ms of the request: fetch, look up the commit, add the tree;
    the cache's gc waits for the release, after the run."""
    calls = tmp_path / "git-calls"
    wrapper = tmp_path / "bin"
    wrapper.mkdir()
    (wrapper / "git").write_text(f'#!/bin/sh\necho "$*" >> {calls}\nPATH="{os.environ["PATH"]}" exec git "$@"\n')
    (wrapper / "git").chmod(0o755)
    cache = RepositoryCache(tmp_path / "cache", environ=environ(tmp_path, f"{wrapper}:{os.environ['PATH']}"))
    cache.checkout(1, source(repo.file_url, "main"), tmp_path / "cold", log)
    calls.unlink()

    warm = cache.checkout(1, source(repo.file_url, "main"), tmp_path / "warm", log)
    assert [_subcommand(line.split()) for line in calls.read_text().splitlines()] == ["fetch", "log", "worktree"]
    calls.unlink()

    cache.release(warm)
    assert [_subcommand(line.split()) for line in calls.read_text().splitlines()] == ["worktree", "maintenance"]


def _subcommand(argv: list[str]) -> str:
    while argv[0] in ("-c", "--git-dir"):
        argv = argv[2:]
    return argv[0]


def test_a_command_that_hangs_is_stopped(tmp_path, log):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    with silent:
        cache = RepositoryCache(tmp_path / "cache", environ=environ(tmp_path), timeout=1)
        url = f"git://127.0.0.1:{silent.getsockname()[1]}/repo.git"
        with pytest.raises(CheckoutError, match="git fetch took longer than 1 s and was stopped"):
            cache.checkout(1, source(url), tmp_path / "run", log)
    assert list((tmp_path / "cache").glob("1.git*")) == []


# --- servers -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    return tmp_path_factory.mktemp("served")


@pytest.fixture(scope="module")
def daemon(served):
    server = GitDaemon(served).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http_server(served):
    server = HttpGitServer(served, login="deploy", password="s3cret-Pa55word").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    SshGitServer.require()
    server = SshGitServer(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture
def served_repo(template_repo, served, tmp_path) -> SourceRepo:
    return template_repo.copy(served / tmp_path.name)


def test_git_daemon(daemon, served_repo, cache, tmp_path, log):
    url = daemon.url(served_repo.bare)
    checkout = cache.checkout(1, source(url, "feature"), tmp_path / "run", log)

    assert read(checkout, "feature.txt") == "only on feature\n"
    assert log[0] == f"Cloning repository {url}"


def test_submodules_are_checked_out(template_repo, daemon, served, cache, tmp_path, log):
    library = SourceRepo.create(served / tmp_path.name, name="library")
    project = template_repo.copy(served / tmp_path.name)
    # A relative URL, resolved against the URL the project was cloned from.
    git("-c", "protocol.file.allow=always", "submodule", "add", "--quiet", str(library.bare), "lib",
        cwd=project.work)
    (project.work / ".gitmodules").write_text('[submodule "lib"]\n\tpath = lib\n\turl = ../library.git\n')
    project.commit(".gitmodules", (project.work / ".gitmodules").read_text(), "Add the library")

    checkout = cache.checkout(1, source(daemon.url(project.bare)), tmp_path / "run", log)

    assert read(checkout, "lib/app.txt") == "main version\n"
    assert "Updating submodules" in log
    cache.release(checkout)
    assert not checkout.path.exists()

    # The submodule moves to another repository: the next checkout follows .gitmodules, not the URL
    # the cache remembers from the first.
    moved = library.copy(served / tmp_path.name / "moved")
    moved_commit = moved.commit("app.txt", "moved library\n", "Moved", branch="main")
    git("-C", "lib", "fetch", "--quiet", str(moved.bare), "main", cwd=project.work)
    git("-C", "lib", "checkout", "--quiet", moved_commit, cwd=project.work)
    git("add", "lib", cwd=project.work)
    project.commit(".gitmodules", '[submodule "lib"]\n\tpath = lib\n\turl = ../moved/library.git\n', "Move it")

    checkout = cache.checkout(1, source(daemon.url(project.bare)), tmp_path / "run2", log)
    assert read(checkout, "lib/app.txt") == "moved library\n"


def test_http_with_login_and_password(http_server, served_repo, cache, tmp_path, log):
    url = http_server.url(served_repo.bare)
    password = http_server.password

    with pytest.raises(CheckoutError, match="cannot fetch"):
        cache.checkout(1, source(url), tmp_path / "anonymous", log)
    wrong = Credentials(type="login_password", login="deploy", password="not-it")
    with pytest.raises(CheckoutError, match="cannot fetch"):
        cache.checkout(1, source(url, credentials=wrong), tmp_path / "wrong", log)
    assert {accepted for method, path, login, accepted in http_server.requests if served_repo.bare.name in path} == {
        False}

    right = Credentials(type="login_password", login="deploy", password=password)
    checkout = cache.checkout(1, source(url, "feature", credentials=right), tmp_path / "run", log)

    # A password written into the URL is taken out of it, so it is stored nowhere either.
    in_url = cache.checkout(2, source(url.replace("http://", f"http://deploy:{password}@")), tmp_path / "in-url",
                            log)

    assert read(checkout, "feature.txt") == "only on feature\n"
    assert read(in_url, "app.txt") == "main version\n"
    assert f"Cloning repository {url.replace('http://', 'http://deploy@')}" in log
    assert password not in log.text and "not-it" not in log.text
    stored = [path for path in [*(tmp_path / "cache").rglob("*"), *checkout.path.rglob("*"), *in_url.path.rglob("*")]
              if path.is_file()]
    assert (checkout.path / ".git") in stored and (tmp_path / "cache" / "2.git" / "config") in stored
    assert [path for path in stored if password.encode() in path.read_bytes()] == []


def test_ssh_url_with_a_key(sshd, repo, cache, tmp_path, log):
    key = sshd.authorize(make_key(tmp_path / "deploy_key"))
    credentials = Credentials(type="ssh", private_key_path=key)

    checkout = cache.checkout(1, source(sshd.url(repo.bare), "feature", credentials=credentials), tmp_path / "run",
                              log)

    assert read(checkout, "feature.txt") == "only on feature\n"
    with pytest.raises(CheckoutError, match="cannot fetch"):
        cache.checkout(2, source(sshd.url(repo.bare)), tmp_path / "no-key", log)


def test_scp_like_url_with_a_passphrase_protected_key_and_ssh_config(sshd, repo, tmp_path, log):
    passphrase = "correct horse battery"
    key = sshd.authorize(make_key(tmp_path / "deploy_key", passphrase))
    cache = RepositoryCache(tmp_path / "cache", ssh_config_path=str(sshd.config), environ=environ(tmp_path))
    url = f"root@gitserver:{repo.bare}"

    checkout = cache.checkout(1, source(url, credentials=Credentials(type="ssh", passphrase=passphrase,
                                                                      private_key_path=key)), tmp_path / "run", log)
    assert read(checkout, "app.txt") == "main version\n"
    assert log[0] == f"Cloning repository {url}"

    wrong = Credentials(type="ssh", passphrase="wrong passphrase", private_key_path=key)
    with pytest.raises(CheckoutError, match="cannot fetch"):
        cache.checkout(2, source(url, credentials=wrong), tmp_path / "wrong", log)
    assert passphrase not in log.text and "wrong passphrase" not in log.text
    assert passphrase not in (tmp_path / "cache" / "git-askpass.sh").read_text()
