"""`semaphore setup`: ask for a database, paths, the public URL and the first admin; write
config.json, migrate the database and create the admin.

Run again on an existing installation, it keeps the keys already in use (from the config.json it
rewrites, or the generated-secrets.json of the SQLite database), so stored secrets stay readable,
and it changes an existing admin account only when told to.

Questions are asked as cli/prompts.py asks them: answers may be piped on stdin, one per line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from marshmallow import ValidationError as SchemaError
from marshmallow.validate import Email
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as DbSession

from semaphore.cli.prompts import Prompter, directory, file_path, public_url
from semaphore.config import Config, default_config, read_json_object, to_json_dict, validate
from semaphore.crypto import generate_key
from semaphore.db.engine import Database, sqlite_path
from semaphore.db.migrate import current_revision, upgrade
from semaphore.errors import NotFound, SemaphoreError, ValidationError
from semaphore.generated_secrets import stored_secrets
from semaphore.passwords import validate_password
from semaphore.private_files import write_private_file
from semaphore.schemas.users import USERNAME
from semaphore.services.users import create_user, find_user, update_user

CONFIG_FILE = "config.json"
DATABASES = {  # answer -> (dialect, title, default host, default user)
    "1": ("sqlite", "SQLite (embedded, default)", "", ""),
    "2": ("postgres", "PostgreSQL", "127.0.0.1:5432", "postgres"),
    "3": ("mysql", "MySQL / MariaDB", "127.0.0.1:3306", "root"),
}
DEFAULT_DB_NAME = "semaphore"
KEYS = ("cookie_hash", "cookie_encryption", "access_key_encryption")


@dataclass
class SetupResult:
    config_path: Path
    config: Config
    revision: str | None
    admin_login: str
    admin_action: str  # "created" | "updated" | "left unchanged"


def run_setup(prompter: Prompter, default_config_dir: Path) -> SetupResult:
    config = default_config()  # config.json gets every key of the core and of the installed plugins
    _ask_database(prompter, config)
    config.tmp_path = prompter.ask("Working directory for repositories and task files (tmp_path)",
                                   config.tmp_path, directory)
    config.web_host = prompter.ask("Public URL of this server, e.g. https://semaphore.example.com (web_host; "
                                   "empty if not known yet)", "", public_url)
    config_path = _ask_config_path(prompter, default_config_dir)
    prompter.say("\nThe first admin account:")
    login = prompter.ask("Admin login", "admin", _login)
    email = prompter.ask("Admin e-mail", f"{login}@localhost", _email)
    name = prompter.ask("Admin name", "Admin")
    password = _ask_password(prompter)

    new_keys = _set_keys(prompter, config, config_path)
    validate(config)
    write_config(config_path, config)
    prompter.say(f"\nConfiguration written to {config_path}")

    database = Database.from_config(config)
    try:
        if current_revision(database.engine) is not None and "access_key_encryption" in new_keys:
            prompter.say("  warning: the database already holds data, and no access_key_encryption was found to "
                         "keep: secrets stored before cannot be decrypted; put the old key in config.json, or "
                         "run `semaphore vault rekey --old-key ...`")
        upgrade(database.engine)
        revision = current_revision(database.engine)
        with database.session() as db:
            action = _save_admin(prompter, db, login, email, name, password)
    finally:
        database.dispose()
    return SetupResult(config_path, config, revision, login, action)


def _set_keys(prompter: Prompter, config: Config, config_path: Path) -> list[str]:
    """Keep the keys in use: a new key would make every stored secret unreadable and end every
    session. Returns the names of the keys generated because none was found."""
    found = stored_secrets(config)
    if config_path.exists():
        found.update({key: value for key, value in read_json_object(config_path, "config file").items()
                      if key in KEYS and isinstance(value, str) and value})
    kept = [key for key in KEYS if found.get(key)]
    for key in KEYS:
        setattr(config, key, found.get(key) or generate_key())
    if kept:
        prompter.say(f"Keeping the keys in use: {', '.join(kept)}.")
    return [key for key in KEYS if key not in kept]


# -- questions ------------------------------------------------------------------------------

def _ask_database(prompter: Prompter, config: Config) -> None:
    """Asks until the database answers (a wrong password is better found now than at start)."""
    while True:
        prompter.say("What database to use:")
        for number, (_, title, _, _) in DATABASES.items():
            prompter.say(f"  {number} - {title}")
        dialect, _, default_host, default_user = DATABASES[prompter.ask("Database", "1", _database_choice)]
        config.dialect = dialect
        block = config.db
        if dialect == "sqlite":
            block.host = prompter.ask("SQLite database file", str(sqlite_path(config)), file_path)
        else:
            block.host = prompter.ask("Database host[:port]", default_host, _host_port)
            block.user = prompter.ask("Database user", default_user)
            block.password = prompter.ask("Database password", "", secret=True)
            block.name = prompter.ask("Database name", DEFAULT_DB_NAME, _db_name)
        problem = connection_problem(config)
        if problem is None:
            return
        prompter.say(f"  cannot connect to the database: {problem}\n  Let's try again.")


def connection_problem(config: Config) -> str | None:
    try:
        database = Database.from_config(config)
    except SemaphoreError as exc:
        return exc.message
    try:
        with database.engine.connect():
            return None
    except SQLAlchemyError as exc:
        return short_db_error(exc)
    finally:
        database.dispose()


def short_db_error(exc: SQLAlchemyError) -> str:
    """The driver's own first line, without SQLAlchemy's SQL echo and background link."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _ask_config_path(prompter: Prompter, default_dir: Path) -> Path:
    while True:
        chosen = Path(prompter.ask("Directory for config.json", str(default_dir), directory))
        path = chosen / CONFIG_FILE
        if not path.exists() or prompter.confirm(f"{path} exists. Overwrite it?"):
            return path


def _ask_password(prompter: Prompter) -> str:
    while True:
        password = prompter.ask("Admin password", "", _password, secret=True)
        if not prompter.interactive or prompter.ask("Admin password again", secret=True) == password:
            return password
        prompter.say("  the passwords differ")


# -- answer checks: return the value to keep, or raise ValidationError to ask again ----------

def _database_choice(answer: str) -> str:
    names = {"sqlite": "1", "postgres": "2", "postgresql": "2", "mysql": "3", "mariadb": "3"}
    choice = names.get(answer.lower(), answer)
    if choice not in DATABASES:
        raise ValidationError("answer 1, 2 or 3")
    return choice


def _host_port(answer: str) -> str:
    host, sep, port = answer.rpartition(":") if ":" in answer else (answer, "", "")
    if not host or any(ch.isspace() for ch in answer):
        raise ValidationError("give a host name or address, optionally with :port")
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValidationError(f"port {port!r} is not a number from 1 to 65535")
    return answer


def _db_name(answer: str) -> str:
    if not answer or not all(ch.isalnum() or ch in "_-$" for ch in answer):
        raise ValidationError("use letters, digits, _, - or $")
    return answer


def _login(answer: str) -> str:
    try:
        USERNAME(answer)
    except SchemaError as exc:
        raise ValidationError(" ".join(exc.messages) if isinstance(exc.messages, list) else str(exc)) from None
    return answer.lower()


def _email(answer: str) -> str:
    try:
        Email()(answer)
    except SchemaError:
        raise ValidationError(f"{answer!r} is not an e-mail address") from None
    return answer.lower()


def _password(answer: str) -> str:
    validate_password(answer)
    return answer


# -- results ---------------------------------------------------------------------------------

def write_config(path: Path, config: Config) -> None:
    """Writes config.json readable by its owner only: it holds the keys and the database password."""
    write_private_file(path, json.dumps(to_json_dict(config), indent=2) + "\n")


def _save_admin(prompter: Prompter, db: DbSession, login: str, email: str, name: str, password: str) -> str:
    try:
        user = find_user(db, login=login)
    except NotFound:
        create_user(db, None, username=login, email=email, name=name, password=password, admin=True)
        return "created"
    if not prompter.confirm(f"The account {login} already exists. Set its password to the one given "
                            "and make it an admin?"):
        return "left unchanged"
    update_user(db, None, user, {"admin": True, "password": password})
    return "updated"
