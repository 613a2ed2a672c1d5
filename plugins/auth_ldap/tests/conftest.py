"""A real slapd for the whole session, and apps / configs that log in against it."""

from __future__ import annotations

import json

import pytest
import semaphore_auth_ldap
from semaphore_auth_ldap.testing import PEOPLE, ROOT_DN, ROOT_PASSWORD, Group, Person, Slapd, slapd_installed

from semaphore.plugin_testing import create_app_with_plugins, make_config

PEOPLE_IN_DIRECTORY = (
    Person("ann", "ann's password", "Ann Example", "ann@example.test"),
    Person("bob", "bob's password", "Bob Builder", "bob@example.test"),
    Person("eve", "eve's password", "Eve Example", "eve@example.test"),  # shares sn "Example" with ann
    Person("nomail", "nomail's password", "No Mail"),
    Person("lou", "lou's password", "Lou Local", "lou@example.test"),  # also a local account in one test
    Person("o(neil)", "o(neil)'s password", "Pat O'Neil", "pat@example.test"),  # filter characters in a login
)
GROUPS_IN_DIRECTORY = (
    Group("admins", ("ann",)),
    Group("developers", ("ann", "bob")),
    Group("operators", ("bob",)),
    Group("writers", ("o(neil)",)),
)


@pytest.fixture
def dialect():
    return "sqlite"  # the backend's part of the database is the core's, tested on every dialect there


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    if not slapd_installed():
        pytest.skip("needs slapd (apt-get install slapd ldap-utils)")
    server = Slapd(tmp_path_factory.mktemp("slapd"), PEOPLE_IN_DIRECTORY, GROUPS_IN_DIRECTORY).start()
    yield server
    server.stop()


def ldap_env(slapd: Slapd, **settings: object) -> dict[str, str]:
    """SEMAPHORE_LDAP_* variables for ``slapd``; ``settings`` override them by key
    (``SEARCH_FILTER="(cn=%s)"``; lists and dicts are given as JSON)."""
    env: dict[str, object] = {
        "ENABLE": "true", "SERVER": slapd.server, "BIND_DN": ROOT_DN, "BIND_PASSWORD": ROOT_PASSWORD,
        "SEARCH_DN": PEOPLE, "SEARCH_FILTER": "(uid=%s)", "TIMEOUT": "5", **settings}
    return {f"SEMAPHORE_LDAP_{key}": value if isinstance(value, str) else json.dumps(value)
            for key, value in env.items()}


@pytest.fixture
def ldap_config(slapd, database_env, tmp_path):
    """``ldap_config(env=None, **settings)`` -> a Config loaded from SEMAPHORE_LDAP_* variables (see
    ldap_env) and the other variables of ``env``."""
    return lambda env=None, **settings: make_config(tmp_path, {**database_env, **ldap_env(slapd, **settings),
                                                               **(env or {})})


@pytest.fixture
def ldap_app(ldap_config):
    """``ldap_app(env=None, **settings)`` -> an app with this plugin, logging in against the slapd."""
    apps = []

    def make(env=None, **settings):
        apps.append(create_app_with_plugins(ldap_config(env, **settings), {"auth_ldap": semaphore_auth_ldap}))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["semaphore"].db.dispose()



@pytest.fixture
def authenticate(ldap_app):
    """``authenticate(login, password, **settings)`` -> what the ``ldap`` backend answers itself
    (an Identity or None, or the error it raises), before the core's login does anything with it."""
    from semaphore import AuthContext

    def run(login, password, **settings):
        app = ldap_app(**settings)
        state = app.extensions["semaphore"]
        backend = state.registry.auth_backends["ldap"]
        with state.db.session() as db:
            return backend.authenticate(login, password, AuthContext(config=state.config, db=db))

    return run
