"""`gateway users`: people who sign in to the page (email, role, argon2id password)."""

from __future__ import annotations

import sys

import click

from gateway.cli._util import database_url, emit, run
from gateway.db.engine import session_scope
from gateway.db.models import ROLES

PASSWORD_HELP = ("The password; omit it to be prompted (hidden). Use --password-stdin in "
                 "scripts so it never shows in a process list.")


def _password(password: str | None, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if password is None:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return password


@click.group()
def users() -> None:
    """Users who sign in to the page."""


@users.command("add")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default=None)
@click.option("--password", default=None, help=PASSWORD_HELP)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def users_add(ctx: click.Context, practice_id: int, email: str, role: str, name: str | None,
              password: str | None, password_stdin: bool, as_json: bool) -> None:
    """Add a user who can sign in (an existing email gets the role and the password)."""
    from gateway.web.accounts import add_user

    secret = _password(password, password_stdin)

    async def go() -> int:
        async with session_scope(database_url(ctx)) as s:
            return await add_user(s, practice_id, email, role, secret, name=name)

    user_id = run(go)
    emit({"id": user_id, "email": email.lower(), "role": role}, as_json,
         lambda d: f"user {d['id']} ({d['email']}, {d['role']}) can sign in")


@users.command("set-password")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--email", required=True)
@click.option("--password", default=None, help=PASSWORD_HELP)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def users_set_password(ctx: click.Context, practice_id: int, email: str, password: str | None,
                       password_stdin: bool, as_json: bool) -> None:
    """Reset a user's password; the user's open sessions end."""
    from gateway.web.accounts import set_password

    secret = _password(password, password_stdin)

    async def go() -> int:
        async with session_scope(database_url(ctx)) as s:
            return await set_password(s, practice_id, email, secret)

    user_id = run(go)
    emit({"id": user_id}, as_json, lambda d: f"password of user {d['id']} set; sessions ended")


def register(root: click.Group) -> None:
    root.add_command(users)
