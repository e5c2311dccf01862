"""``bounced user add|passwd|remove|list``: the people who may sign in to the support page."""
from __future__ import annotations

import sys
from collections.abc import Callable

import click

from bounced import config as config_mod
from bounced.accounts import ROLE_NAMES, Passwords, check_name, check_password
from bounced.cli.store_cmds import create_option, store_options
from bounced.render import output_options, render
from bounced.store import Store


def _password(from_stdin: bool) -> str:
    if from_stdin:
        text = sys.stdin.readline().rstrip("\r\n")
    else:
        text = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    try:
        return check_password(text)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("user")
def user() -> None:
    """Support-page users: viewer reads, support also lifts and suppresses, admin also reads raw bounces."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(list(ROLE_NAMES)), required=True, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--no-password", is_flag=True, help="Sign-in only through the trusted reverse-proxy header.")
@create_option
@store_options
def user_add(name: str, role: str, password_stdin: bool, no_password: bool, create: bool,
             open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Add a user; the password is typed twice (or read with --password-stdin).

    Example: bounced user add alice --role support
    """
    check_name(name)
    hashed = None if no_password else Passwords().hash(_password(password_stdin))
    with open_store() as store:
        store.add_user(name, role, hashed)
    click.echo(f"user {name} added as {role}")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@store_options
def user_passwd(name: str, password_stdin: bool, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Set a user's password; the user's open sessions end.

    Example: bounced user passwd alice
    """
    with open_store() as store:
        if store.user(name) is None:
            raise click.ClickException(f"no user {name!r}")
        store.set_password(name, Passwords().hash(_password(password_stdin)))
    click.echo(f"password of {name} changed; their sessions have ended")


@user.command("remove")
@click.argument("name")
@store_options
def user_remove(name: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """Remove a user and end their sessions (the audit trail keeps their name).

    Example: bounced user remove alice
    """
    with open_store() as store:
        store.remove_user(name)
    click.echo(f"user {name} removed")


@user.command("list")
@output_options
@store_options
def user_list(fmt: str, open_store: Callable[..., Store], cfg: config_mod.Config) -> None:
    """The users and their roles.

    Example: bounced user list
    """
    with open_store(readonly=True) as store:
        render(store.users(), fmt, ["name", "role", "created_at", "updated_at"])


def register(group: click.Group) -> None:
    group.add_command(user)
