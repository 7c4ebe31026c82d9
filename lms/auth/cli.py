"""`flask --app wsgi users ...`"""
from __future__ import annotations

import secrets

import click

from lms import clock
from lms.auth import services
from lms.auth.models import ROLES
from lms.errors import DomainError


@click.group("users", help="Manage user accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--password", help="Password (generated and printed when omitted).")
def create(email: str, name: str, role: str, password: str | None):
    """Create a confirmed account."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = services.create_user(email, name, role, password, clock.now())
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Created {user.email} ({user.role})"
               + (f" with password {password}" if generated else ""))


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str):
    """Change the role of an existing account."""
    user = services.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    services.set_role(user, role)
    click.echo(f"{user.email} is now {role}.")
