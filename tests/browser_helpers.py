"""A real browser for the web UI tests: Debian's chromium driven by Python Playwright.

One browser per test module; pages at a desktop and at a 375×812 phone viewport. Each page records
console errors, uncaught exceptions and Content-Security-Policy violations, so a test can assert the
page ran cleanly. Screenshots go to ``SEMAPHORE_TEST_ARTIFACTS`` (else a temporary directory); with
``SEMAPHORE_UPDATE_SCREENSHOTS=1`` the ones meant for the README are also copied to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import ADMIN, Api
from process_helpers import ServerProcess

from semaphore.testing import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

# Runs before any page script; CSP violations are reported as DOM events, not always on the console.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed: pip install playwright")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Chromium logs every 4xx answer to fetch() on the console; the pages expect some (401 from /api/user
# before login, 400 for a wrong code) and show them, so those lines are not problems.
EXPECTED_API_ANSWER = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d ")


class PageProblems:
    """What went wrong while a page ran: console errors, uncaught exceptions, CSP violations."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: Any) -> None:
        if message.type == "error" and not EXPECTED_API_ANSWER.match(message.text):
            self.errors.append(message.text)

    def all(self) -> list[str]:
        return self.errors + list(self.page.evaluate("window.__cspViolations || []"))


def _page(browser: Any, viewport: dict[str, int], color_scheme: str = "light") -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme,
                                  is_mobile=viewport is PHONE, has_touch=viewport is PHONE)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Any) -> Iterator[Any]:
    yield from _page(browser, DESKTOP)


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    yield from _page(browser, PHONE)


@pytest.fixture
def dark_phone_page(browser: Any) -> Iterator[Any]:
    yield from _page(browser, PHONE, color_scheme="dark")


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SEMAPHORE_TEST_ARTIFACTS")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def screenshot(page: Any, artifact_dir: Path, name: str, *, for_docs: bool = False) -> Path:
    """Save ``name``.png as a test artifact (and refresh the README's copy when asked to)."""
    path = artifact_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if for_docs and os.environ.get("SEMAPHORE_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_SCREENSHOTS / path.name)
    return path


def scrolls_horizontally(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


ADMIN_LOGIN, ADMIN_PASSWORD = ADMIN["SEMAPHORE_ADMIN"], ADMIN["SEMAPHORE_ADMIN_PASSWORD"]


def sign_in(page: Any, server: Any, login: str = ADMIN_LOGIN, password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the login form (the admin of live_server.ADMIN unless told otherwise)."""
    page.goto(server.url + "/")
    page.get_by_label("Login or e-mail").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_until(page: Any, expression: str, timeout: float = 10, what: str = "") -> None:
    """Until the JavaScript `expression` is true in the page, polled from here: the pages' CSP refuses
    the eval that Playwright's own page.wait_for_function polls with."""
    deadline = time.monotonic() + timeout
    while not _true_now(page, expression):
        assert time.monotonic() < deadline, what or f"never true: {expression}"
        time.sleep(0.05)


def _true_now(page: Any, expression: str) -> bool:
    try:
        return bool(page.evaluate(f"() => Boolean({expression})"))
    except Exception as error:  # the page navigated while we asked: ask the new one next time
        if "context was destroyed" in str(error) or "navigat" in str(error):
            return False
        raise


def assert_ran_cleanly(page: Any) -> None:
    assert page.problems.all() == []


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real `semaphore server` per browser test module: live_server.ADMIN plus the module's own
    ``SERVER_ENV`` (a dict, when it sets one; a value may be a function of tmp_path_factory)."""
    module_env = getattr(request.module, "SERVER_ENV", {})
    env = {**ADMIN, **{name: value(tmp_path_factory) if callable(value) else value
                       for name, value in module_env.items()}}
    process = ServerProcess(tmp_path_factory.mktemp("server"), env=env).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(server: Any) -> Api:
    return Api.logged_in(server.url)
