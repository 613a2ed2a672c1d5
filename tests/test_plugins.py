"""Loading plugins through real entry points: the loader is the error boundary.

Each test installs throwaway distributions (a ``*.dist-info`` with METADATA and entry_points.txt,
plus the module) into a directory on ``sys.path``, where ``importlib_metadata`` finds them exactly
as it finds a pip-installed plugin.
"""

from __future__ import annotations

import importlib
import logging
import sys
import textwrap

import pytest

from semaphore.app import create_app
from semaphore.errors import PluginError
from semaphore.testing import create_user_row, log_in, make_config

GREETER = """
    from semaphore import Executor, hookimpl

    class Greeter(Executor):
        app_id = "greeter"
        title = "Greeter"

    @hookimpl
    def register_executors(register):
        register(Greeter())
"""


@pytest.fixture
def dialect():
    return "sqlite"  # loading plugins does not depend on the database


@pytest.fixture
def install(tmp_path, monkeypatch):
    """``install(entry_point_name, source)`` puts a throwaway plugin distribution on sys.path."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(name: str, source: str, *, dist: str | None = None, version: str = "1.0") -> str:
        module, dist = f"throwaway_{name}", dist or f"throwaway-{name}"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[semaphore]\n{name} = {module}\n")
        importlib.invalidate_caches()
        modules.append(module)
        return module

    yield install
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture
def make_app(database_env, tmp_path):
    """``make_app(SEMAPHORE_PLUGINS=..., ...)``: an app loading entry points, not strict by default."""
    apps = []

    def make(**env: str):
        config = make_config(tmp_path, {**database_env, "SEMAPHORE_PLUGINS_STRICT": "0", **env})
        apps.append(create_app(config, entry_points=True))
        return apps[-1]

    yield make
    for application in apps:
        application.extensions["semaphore"].db.dispose()


def plugin_list(app):
    create_user_row(app, "admin", admin=True)
    client = log_in(app.test_client(), "admin")
    return client, {p["name"]: p for p in client.get("/api/plugins").get_json()}


def app_ids(client):
    return {a["id"]: a for a in client.get("/api/apps").get_json()}


def test_plugin_that_fails_to_import_is_listed_as_failed_and_the_others_load(install, make_app, caplog):
    install("broken", "import not_installed_anywhere\n")
    install("good", GREETER, version="2.5")
    with caplog.at_level(logging.ERROR, logger="semaphore.plugins"):
        app = make_app(SEMAPHORE_PLUGINS="broken,good")
    client, plugins = plugin_list(app)

    assert plugins["broken"]["status"] == "failed"
    assert plugins["broken"]["error"] == "ModuleNotFoundError: No module named 'not_installed_anywhere'"
    assert plugins["broken"]["distribution"] == "throwaway-broken"
    assert "plugin 'broken' failed to load and is skipped" in caplog.text
    assert plugins["good"] == {"name": "good", "distribution": "throwaway-good", "version": "2.5", "builtin": False,
                               "status": "loaded", "error": None, "hooks": ["register_executors"]}
    greeter = app_ids(client)["greeter"]
    assert (greeter["installed"], greeter["active"], greeter["plugin"]) == (True, True, "good")


def test_strict_mode_raises_instead_of_skipping(install, make_app):
    install("broken", "import not_installed_anywhere\n")
    with pytest.raises(PluginError, match="plugin 'broken' failed to load: ModuleNotFoundError"):
        make_app(SEMAPHORE_PLUGINS="broken", SEMAPHORE_PLUGINS_STRICT="1")


@pytest.mark.parametrize("hook_name", ["register_executor", "hookspec"])
def test_plugin_implementing_an_unknown_hook_is_refused(install, make_app, hook_name):
    install("typo", GREETER + f"""
    @hookimpl
    def {hook_name}(register):
        pass
    """)
    client, plugins = plugin_list(make_app(SEMAPHORE_PLUGINS="typo"))
    assert plugins["typo"]["status"] == "failed"
    assert plugins["typo"]["error"] == f"PluginError: implements unknown hook {hook_name!r}"
    assert "greeter" not in app_ids(client)  # nothing of a refused plugin is used


def test_hook_implementation_with_an_unknown_argument_is_refused(install, make_app):
    install("badargs", """
    from semaphore import hookimpl

    @hookimpl
    def register_executors(registry):
        pass
    """)
    _client, plugins = plugin_list(make_app(SEMAPHORE_PLUGINS="badargs"))
    assert plugins["badargs"]["status"] == "failed"
    assert "registry" in plugins["badargs"]["error"]


def test_second_plugin_registering_the_same_executor_fails_and_the_first_is_kept(install, make_app):
    install("alpha", GREETER)
    install("beta", GREETER.replace('title = "Greeter"', 'title = "Other greeter"'))
    client, plugins = plugin_list(make_app(SEMAPHORE_PLUGINS="alpha,beta"))
    assert plugins["alpha"]["status"] == "loaded"
    assert plugins["beta"]["status"] == "failed"
    assert plugins["beta"]["error"] == "PluginError: executor 'greeter' is already registered by plugin 'alpha'"
    assert (app_ids(client)["greeter"]["title"], app_ids(client)["greeter"]["plugin"]) == ("Greeter", "alpha")


def test_duplicate_executor_in_strict_mode_raises(install, make_app):
    install("alpha", GREETER)
    install("beta", GREETER)
    with pytest.raises(PluginError, match="plugin 'beta' failed to load: .*already registered by plugin 'alpha'"):
        make_app(SEMAPHORE_PLUGINS="alpha,beta", SEMAPHORE_PLUGINS_STRICT="1")


@pytest.mark.parametrize("component", ["object()", "Notifier()"])
def test_registering_the_wrong_type_is_refused(install, make_app, component):
    install("wrongtype", f"""
    from semaphore import Notifier, hookimpl

    @hookimpl
    def register_executors(register):
        register({component})
    """)
    client, plugins = plugin_list(make_app(SEMAPHORE_PLUGINS="wrongtype"))
    assert plugins["wrongtype"]["status"] == "failed"
    assert plugins["wrongtype"]["error"].startswith("PluginError: register_executors: expected a Executor instance")


@pytest.mark.parametrize("failure", [
    "@hookimpl\ndef register_notifiers(register):\n    register(Greeter())\n",
    "@hookimpl\ndef register_blueprints(app):\n    raise RuntimeError('no routes today')\n",
], ids=["wrong-notifier", "blueprints-raise"])
def test_plugin_failing_in_one_hook_keeps_nothing_from_its_other_hooks(install, make_app, failure):
    install("halfway", GREETER + textwrap.indent(failure, "    "))
    client, plugins = plugin_list(make_app(SEMAPHORE_PLUGINS="halfway"))
    assert plugins["halfway"]["status"] == "failed"
    assert "greeter" not in app_ids(client)


def test_allow_list_and_deny_list(install, make_app):
    for name in ("first", "second", "third"):
        install(name, GREETER.replace('"greeter"', f'"{name}"'))
    client, plugins = plugin_list(make_app(SEMAPHORE_PLUGINS="first,second", SEMAPHORE_DISABLE_PLUGINS="second"))
    assert {name: plugins[name]["status"] for name in ("first", "second", "third")} == {
        "first": "loaded", "second": "disabled", "third": "disabled"}
    assert {"first", "second", "third"} & set(app_ids(client)) == {"first"}
    # A disabled plugin is never imported, so a broken or slow one costs nothing.
    assert "throwaway_second" not in sys.modules and "throwaway_third" not in sys.modules


def test_deny_list_alone_loads_everything_else(install, make_app):
    install("keep", GREETER)
    install("drop", GREETER.replace('"greeter"', '"dropped"'))
    _client, plugins = plugin_list(make_app(SEMAPHORE_DISABLE_PLUGINS="drop"))
    assert (plugins["keep"]["status"], plugins["drop"]["status"]) == ("loaded", "disabled")


def test_builtins_are_registered_first_and_keep_their_components(install, make_app):
    install("header", """
    from semaphore import IntegrationMatcher, hookimpl

    class Header(IntegrationMatcher):
        match_type = "header"

    @hookimpl
    def register_integration_matchers(register):
        register(Header())
    """)
    app = make_app(SEMAPHORE_PLUGINS="header")
    _client, plugins = plugin_list(app)
    listed = list(plugins.values())
    assert [p["builtin"] for p in listed] == sorted((p["builtin"] for p in listed), reverse=True)
    assert plugins["header"]["error"] == ("PluginError: integration matcher 'header' is already registered by "
                                          "plugin 'integration_matchers'")
    assert app.extensions["semaphore"].registry.integration_matcher("header").plugin == "integration_matchers"


def test_entry_point_with_a_built_in_plugins_name_is_refused(install, make_app):
    install("password_auth", "raise RuntimeError('must not be imported')\n")
    app = make_app(SEMAPHORE_PLUGINS="password_auth")
    client, _plugins = plugin_list(app)  # logging in still goes through the built-in password backend
    listed = client.get("/api/plugins").get_json()
    builtin, newcomer = [p for p in listed if p["name"] == "password_auth"]
    assert (builtin["builtin"], builtin["status"]) == (True, "loaded")
    assert (newcomer["distribution"], newcomer["status"]) == ("throwaway-password_auth", "failed")
    assert newcomer["error"] == "PluginError: a plugin named 'password_auth' is already registered (built in)"
