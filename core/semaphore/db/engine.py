"""Engine and sessions for the configured dialect."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from semaphore.config import Config
from semaphore.errors import ConfigError

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}


def sqlite_path(config: Config) -> Path:
    return Path(config.db.host) if config.db.host else config.data_path / "database.sqlite"


def database_url(config: Config) -> URL:
    dialect, db = config.db_dialect, config.db
    if dialect == "sqlite":
        return URL.create("sqlite+pysqlite", database=str(sqlite_path(config)))
    host, _, port = db.host.rpartition(":") if ":" in db.host else (db.host, "", "")
    driver = {"postgres": "postgresql+psycopg", "mysql": "mysql+pymysql"}[dialect]
    query = dict(db.options)
    if dialect == "mysql":
        query.setdefault("charset", "utf8mb4")
    return URL.create(driver, username=db.user or None, password=db.password or None,
                      host=host or None, port=int(port) if port else DEFAULT_PORTS[dialect],
                      database=db.name or "semaphore", query=query)


def pool_size(config: Config) -> dict[str, int]:
    """Connections enough for every web thread plus each running task's run and log writer."""
    return {"pool_size": 10, "max_overflow": config.web_threads + 2 * max(config.max_parallel_tasks, 10)}


def create_db_engine(config: Config) -> Engine:
    url = database_url(config)
    if config.db_dialect == "sqlite":
        return _sqlite_engine(sqlite_path(config), f"{config.dialect}.host (SEMAPHORE_DB_HOST)", **pool_size(config))
    return create_engine(url, pool_pre_ping=True, pool_recycle=3600, **pool_size(config))


def _sqlite_engine(path: Path, setting: str = "sqlite.host", **pool: int) -> Engine:
    _create_private(path)
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                raise ConfigError(
                    f"{setting}: {path} is not an SQLite database (a BoltDB file from the original "
                    "Semaphore cannot be read; point the setting at a new file)")
    engine = create_engine(URL.create("sqlite+pysqlite", database=str(path)),
                           connect_args={"check_same_thread": False, "timeout": 30}, **pool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Foreign keys are off by default in SQLite; WAL lets readers run beside the writer.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # The driver opens a transaction right before the first write; IMMEDIATE takes the write lock
        # there (waiting up to busy_timeout). A deferred one reads first and fails at once with
        # "database is locked" when another connection commits between its read and its write.
        dbapi_connection.isolation_level = "IMMEDIATE"

    return engine


def _create_private(path: Path) -> None:
    """A new database file (and its directory) readable by its owner only: it holds password hashes,
    sessions and encrypted secrets. SQLite gives the -wal and -shm files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class Database:
    """The engine and a session factory; one per application."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_config(cls, config: Config) -> Database:
        return cls(create_db_engine(config))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
