"""`semaphore user` (alias `users`): add, change, delete, show and list users, with the rules of
services/users.py and the options checked by the API's request schemas."""

from __future__ import annotations

from typing import Any

import click
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError

from semaphore.cli.database import database_session
from semaphore.cli.root import state
from semaphore.errors import ValidationError

FLAG_OF_FIELD = {"username": "--login", "name": "--name", "email": "--email", "password": "--password",
                 "admin": "--admin"}


def load_input(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Check options with the API's request schema, naming the offending option."""
    try:
        loaded: dict[str, Any] = schema.load(data)
    except SchemaError as exc:
        messages = exc.normalized_messages()
        name, problems = next(iter(messages.items()))
        text = " ".join(problems) if isinstance(problems, list) else str(problems)
        raise ValidationError(text, field=FLAG_OF_FIELD.get(str(name), str(name))) from None
    return loaded



@click.group("user")
def user_group() -> None:
    """Manage users (alias: users)."""


@user_group.command("add")
@click.option("--login", required=True, help="Login (user name).")
@click.option("--name", required=True, help="Display name.")
@click.option("--email", required=True, help="E-mail address.")
@click.option("--password", required=True, help="Password.")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
def user_add(login: str, name: str, email: str, password: str, admin: bool) -> None:
    """Create a user."""
    from semaphore.schemas.users import UserCreateSchema
    from semaphore.services.users import create_user

    data = load_input(UserCreateSchema(), {"username": login, "name": name, "email": email,
                                           "password": password, "admin": admin})
    with database_session() as db:
        user = create_user(db, None, **data, min_password_length=state().config().password_min_length)
    click.echo(f"User {user.username} created (id {user.id}).")


def _change_options(identified_by: str) -> Any:
    """The options of change-by-login / change-by-email: everything but the identifying one."""
    options = [
        click.option("--login", help="New login.") if identified_by != "login" else None,
        click.option("--name", help="New display name."),
        click.option("--email", help="New e-mail address.") if identified_by != "email" else None,
        click.option("--password", help="New password (ends the user's sessions)."),
        click.option("--admin/--no-admin", default=None, help="Grant or revoke admin rights."),
    ]

    def decorate(func: Any) -> Any:
        for option in reversed([o for o in options if o is not None]):
            func = option(func)
        return func
    return decorate


def _change_user(identify: dict[str, str], changes: dict[str, Any]) -> None:
    from semaphore.schemas.users import UserUpdateSchema
    from semaphore.services.users import find_user, update_user

    wanted = {key: value for key, value in changes.items() if value is not None}
    if not wanted:
        raise ValidationError("nothing to change: give --name, --email, --login, --password or --admin/--no-admin")
    data = load_input(UserUpdateSchema(), wanted)
    with database_session() as db:
        user = find_user(db, **identify)
        update_user(db, None, user, data, min_password_length=state().config().password_min_length)
        login = user.username
    click.echo(f"User {login} changed.")


@user_group.command("change-by-login")
@click.option("--login", required=True, help="Login of the user to change.")
@_change_options("login")
def user_change_by_login(login: str, name: str | None, email: str | None, password: str | None,
                         admin: bool | None) -> None:
    """Change a user found by login."""
    _change_user({"login": login}, {"name": name, "email": email, "password": password, "admin": admin})


@user_group.command("change-by-email")
@click.option("--email", required=True, help="E-mail address of the user to change.")
@_change_options("email")
def user_change_by_email(email: str, login: str | None, name: str | None, password: str | None,
                         admin: bool | None) -> None:
    """Change a user found by e-mail address."""
    _change_user({"email": email}, {"username": login, "name": name, "password": password, "admin": admin})


def _identify(login: str | None, email: str | None) -> dict[str, str]:
    if bool(login) == bool(email):
        raise ValidationError("give either --login or --email")
    return {"login": login} if login else {"email": email or ""}


@user_group.command("delete")
@click.option("--login", help="Login of the user.")
@click.option("--email", help="E-mail address of the user.")
def user_delete(login: str | None, email: str | None) -> None:
    """Delete a user found by login or e-mail address."""
    from semaphore.services.users import delete_user, find_user

    identify = _identify(login, email)
    with database_session() as db:
        user = find_user(db, **identify)
        name = user.username
        delete_user(db, None, user)
    click.echo(f"User {name} deleted.")


@user_group.command("totp-disable")
@click.option("--login", help="Login of the user.")
@click.option("--email", help="E-mail address of the user.")
def user_totp_disable(login: str | None, email: str | None) -> None:
    """Turn a user's TOTP two-factor authentication off and end their sessions (for an admin who
    lost the device and has no other admin to reset it)."""
    from semaphore.services.totp import turn_off
    from semaphore.services.users import find_user

    identify = _identify(login, email)
    with database_session() as db:
        user = find_user(db, **identify)
        name, removed = user.username, turn_off(db, user)
    click.echo(f"Two-factor authentication of {name} turned off." if removed
               else f"{name} had no two-factor authentication; their sessions were ended anyway.")


@user_group.command("get")
@click.option("--login", help="Login of the user.")
@click.option("--email", help="E-mail address of the user.")
def user_get(login: str | None, email: str | None) -> None:
    """Show a user found by login or e-mail address."""
    from semaphore.services.users import find_user

    identify = _identify(login, email)
    with database_session() as db:
        user = find_user(db, **identify)
        rows = [("ID", user.id), ("Created", user.created.isoformat(sep=" ", timespec="seconds")),
                ("Login", user.username), ("Name", user.name), ("Email", user.email),
                ("Admin", str(user.admin).lower()), ("External", str(user.external).lower())]
    for label, value in rows:
        click.echo(f"{label + ':':<10}{value}")


@user_group.command("list")
def user_list() -> None:
    """Print every login, one a line."""
    from semaphore.services.users import list_users

    with database_session() as db:
        names = [user.username for user in list_users(db)]
    for name in names:
        click.echo(name)

