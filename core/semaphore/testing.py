"""pytest fixtures for the core's tests and for plugin authors (registered through ``pytest11``).

Databases: ``SEMAPHORE_TEST_POSTGRES_URL`` and ``SEMAPHORE_TEST_MYSQL_URL`` (e.g.
``postgresql://postgres@127.0.0.1:5432/test``, ``mysql://root@127.0.0.1:3306/test``) name servers
on which a private database per test process is created and dropped. Without them those dialects
are skipped, unless ``SEMAPHORE_TEST_REQUIRE_ALL=1``, where a missing one fails.

Fixtures:

* ``dialect`` -- parametrized over sqlite, postgres and mysql; use ``app``/``client`` to run a test
  on all three, ``sqlite_app`` for tests where the database does not matter.
* ``app`` -- a Flask app with built-in plugins only, on a migrated, emptied database.
* ``client`` -- its test client. ``make_user`` / ``login`` help build scenarios.
"""

from __future__ import annotations

import base64
import functools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, make_url, text

from semaphore.config import Config, load_config

DIALECTS = ("sqlite", "postgres", "mysql")
URL_VARS = {"postgres": "SEMAPHORE_TEST_POSTGRES_URL", "mysql": "SEMAPHORE_TEST_MYSQL_URL"}
TEST_KEY = base64.b64encode(b"k" * 32).decode()
TEST_PASSWORD = "correct horse battery staple"


def require_all() -> bool:
    return os.environ.get("SEMAPHORE_TEST_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str) -> None:
    if require_all():
        pytest.fail(f"{reason} (SEMAPHORE_TEST_REQUIRE_ALL=1)")
    pytest.skip(reason)


def _worker_suffix() -> str:
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


class ServerDatabase:
    """A private database on a PostgreSQL or MySQL server, dropped at the end of the session
    (``purpose``: a second one beside the test process's own, e.g. for a cluster of servers)."""

    def __init__(self, dialect: str, server_url: str, purpose: str = "test") -> None:
        self.dialect = dialect
        url = make_url(server_url)
        driver = {"postgres": "postgresql+psycopg", "mysql": "mysql+pymysql"}[dialect]
        self.server_url = url.set(drivername=driver)
        self.name = f"semaphore_{purpose}_{_worker_suffix()}"
        self._admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {self.name}"))
            conn.execute(text(f"CREATE DATABASE {self.name}"))

    def config_env(self) -> dict[str, str]:
        url = self.server_url
        host = f"{url.host or '127.0.0.1'}:{url.port}" if url.port else (url.host or "127.0.0.1")
        return {"SEMAPHORE_DB_DIALECT": self.dialect, "SEMAPHORE_DB_HOST": host,
                "SEMAPHORE_DB_USER": url.username or "", "SEMAPHORE_DB_PASS": url.password or "",
                "SEMAPHORE_DB": self.name}

    def drop(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {self.name}"))
        self._admin.dispose()


def make_config(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Config:
    env = {"SEMAPHORE_DATA_DIR": str(tmp_path / "data"), "SEMAPHORE_TMP_PATH": str(tmp_path / "work"),
           "SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY, "SEMAPHORE_COOKIE_HASH": TEST_KEY,
           "SEMAPHORE_PLUGINS_STRICT": "1", **(extra_env or {})}
    return load_config(no_config=True, environ=env)


@pytest.fixture(scope="session")
def _server_databases() -> Iterator[dict[str, ServerDatabase | None]]:
    found: dict[str, ServerDatabase | None] = {}
    for dialect, var in URL_VARS.items():
        url = os.environ.get(var)
        found[dialect] = ServerDatabase(dialect, url) if url else None
    yield found
    for database in found.values():
        if database is not None:
            database.drop()


@pytest.fixture(scope="session")
def _migrated(_server_databases: dict[str, ServerDatabase | None], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Migrates each dialect's database once per session (SQLite: a template file to copy)."""
    from semaphore.db.engine import create_db_engine
    from semaphore.db.migrate import upgrade

    @functools.cache
    def migrated(dialect: str) -> dict[str, str]:
        if dialect == "sqlite":
            path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
            env = {"SEMAPHORE_DB_HOST": str(path)}
        else:
            database = _server_databases[dialect]
            if database is None:
                skip_or_fail(f"{URL_VARS[dialect]} is not set")
            env = database.config_env()  # type: ignore[union-attr]
        engine = create_db_engine(make_config(tmp_path_factory.mktemp("cfg"), env))
        upgrade(engine)
        engine.dispose()
        return env

    return migrated


def _empty_tables(engine: Any) -> None:
    from semaphore.db.models import Base

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        if conn.dialect.name in ("mysql", "mariadb"):
            # DELETE is several times faster than TRUNCATE on small InnoDB tables.
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in Base.metadata.sorted_tables:
                conn.execute(text(f"DELETE FROM `{table.name}`"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
            return
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def database_env(dialect: str, _migrated: Any, tmp_path: Path) -> dict[str, str]:
    """Environment variables that point a config at an empty, migrated database of ``dialect``."""
    env = dict(_migrated(dialect))
    if dialect == "sqlite":
        copy = tmp_path / "semaphore.sqlite"
        shutil.copy(env["SEMAPHORE_DB_HOST"], copy)
        env["SEMAPHORE_DB_HOST"] = str(copy)
    else:
        from semaphore.db.engine import create_db_engine

        engine = create_db_engine(make_config(tmp_path, env))
        _empty_tables(engine)
        engine.dispose()
    return env


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def config(database_env: dict[str, str], tmp_path: Path) -> Config:
    return make_config(tmp_path, database_env)


@pytest.fixture
def app(config: Config) -> Iterator[Any]:
    from semaphore.app import create_app

    application = create_app(config, entry_points=False)
    yield application
    application.extensions["semaphore"].db.dispose()


@pytest.fixture
def sqlite_app(tmp_path: Path, _migrated: Any) -> Iterator[Any]:
    from semaphore.app import create_app

    env = dict(_migrated("sqlite"))
    shutil.copy(env["SEMAPHORE_DB_HOST"], tmp_path / "semaphore.sqlite")
    env["SEMAPHORE_DB_HOST"] = str(tmp_path / "semaphore.sqlite")
    application = create_app(make_config(tmp_path, env), entry_points=False)
    yield application
    application.extensions["semaphore"].db.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@functools.cache
def _password_hash(password: str) -> str:
    """A real bcrypt hash at the lowest cost: logins of fixture users still run bcrypt, just fast."""
    import bcrypt

    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def create_user_row(app: Any, username: str, *, admin: bool = False, password: str = TEST_PASSWORD,
                    name: str | None = None, email: str | None = None) -> int:
    """Insert a user directly (bcrypt once per password per session) and return its id."""
    from semaphore.db.models import User

    with app.extensions["semaphore"].db.session() as db:
        user = User(username=username, email=email or f"{username}@example.test", name=name or username.title(),
                    admin=admin, password=_password_hash(password))
        db.add(user)
        db.flush()
        return int(user.id)


@pytest.fixture
def make_user(app: Any) -> Callable[..., int]:
    return functools.partial(create_user_row, app)


def log_in(client: Any, username: str, password: str = TEST_PASSWORD) -> Any:
    response = client.post("/api/auth/login", json={"auth": username, "password": password})
    assert response.status_code == 204, response.get_json()
    return client


def listed_app(app: Any, app_id: str) -> dict[str, Any]:
    """The entry of ``GET /api/apps`` for ``app_id``, as a signed-in user sees it."""
    create_user_row(app, "ann")
    client = log_in(app.test_client(), "ann")
    (entry,) = [entry for entry in client.get("/api/apps").get_json() if entry["id"] == app_id]
    return dict(entry)


@pytest.fixture
def admin_client(app: Any) -> Any:
    """A test client logged in as an admin named ``admin``."""
    create_user_row(app, "admin", admin=True)
    return log_in(app.test_client(), "admin")


# -- helpers for plugin tests -------------------------------------------------------------------

def load_installed_plugin(name: str) -> Any:
    """Load the installed plugin ``name`` through its real entry point, as the server does (strict,
    with only this plugin allowed), and return its :class:`semaphore.plugins.PluginInfo`."""
    from semaphore.plugins import Plugins

    plugins = Plugins(strict=True)
    plugins.load_entry_points(allow=[name])
    found = [info for info in plugins.info() if info.name == name]
    assert found, f"no entry point {name!r} in group 'semaphore': is the plugin installed?"
    return found[0]


def imported_top_level_modules(import_name: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after ``import <import_name>``: lets a
    plugin's tests assert that importing it stays cheap (heavy libraries load lazily)."""
    import subprocess
    import sys

    code = f"import sys, {import_name}; print(*sorted({{m.partition('.')[0] for m in sys.modules}}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def create_app_with_plugins(config: Config, plugins: dict[str, object]) -> Any:
    """An app with the built-ins plus ``plugins`` (name -> module or object with ``@hookimpl``
    methods) registered, in strict mode: a plugin that fails raises instead of being skipped."""
    from semaphore.app import create_app
    from semaphore.plugins import Plugins

    manager = Plugins(strict=True)
    manager.register_builtins()
    for name, plugin in plugins.items():
        manager.register(plugin, name)
    return create_app(config, plugins=manager)


@pytest.fixture
def plugin_app(config: Config) -> Iterator[Callable[..., Any]]:
    """``plugin_app(name=plugin, ...)`` -> an app (on the ``config`` fixture's database) with the
    built-ins and these plugins registered; see :func:`create_app_with_plugins`."""
    apps: list[Any] = []

    def make(**plugins: object) -> Any:
        apps.append(create_app_with_plugins(config, plugins))
        return apps[-1]

    yield make
    for application in apps:
        application.extensions["semaphore"].db.dispose()
