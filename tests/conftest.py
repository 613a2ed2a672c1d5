"""Core tests use the fixtures of semaphore.testing (loaded through the pytest11 entry point)."""

import sys
from pathlib import Path

# Test modules share small helper modules of this directory (the importlib import mode does not add it to the path).
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402  (after the path set-up above, which task_helpers needs)
from task_helpers import ScriptExecutorPlugin, build_app, create_project  # noqa: E402

pytest_plugins = ["browser_helpers"]  # the real-browser fixtures of the web UI tests


@pytest.fixture
def script_app(config):
    """An app whose "bash" template app has an executor, so tasks can be queued. A module that
    needs it overrides ``app`` with it."""
    application = build_app(config, script_executor=ScriptExecutorPlugin())
    yield application
    application.extensions["semaphore"].db.dispose()


@pytest.fixture
def project(app, admin_client):
    """A project with a repository, inventory, environment, view and keys (task_helpers.Project)."""
    return create_project(app, admin_client)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many requests the API fuzz test (test_api_fuzz.py) sent, summed over the xdist workers."""
    sent = [value for reports in terminalreporter.stats.values() for report in reports
            for name, value in getattr(report, "user_properties", ()) if name == "api_requests"]
    if sent:
        terminalreporter.write_line(f"API fuzz: {sum(sent)} generated requests in {len(sent)} tests")
