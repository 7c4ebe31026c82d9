"""`flask --app wsgi credentials ...`: issue a credential (starts the CE cycle), the daily sweep."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from lms import clock
from lms.auth.services import get_user_by_email
from lms.credentials import services
from lms.credits import services as ce
from lms.credits.cli import parse_day
from lms.errors import DomainError

credentials_cli = AppGroup("credentials", help="Credentials: issue, daily CE sweep.")


@credentials_cli.command("issue")
@click.argument("email")
@click.option("--issued-on", help="Date earned (YYYY-MM-DD); default today.")
@click.option("--reason", default="", help="Why it is issued (e.g. passed the AP exam).")
def issue_command(email: str, issued_on: str | None, reason: str) -> None:
    """Issue the credential to EMAIL and start their CE cycle; prints the credential ID."""
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    try:
        credential = services.issue(user, parse_day(issued_on), reason, None, clock.now())
    except DomainError as err:
        raise click.ClickException(str(err)) from None
    click.echo(credential.credential_id)


@credentials_cli.command("sweep")
@click.option("--today", help="Sweep as of this date (YYYY-MM-DD); default today.")
def sweep_command(today: str | None) -> None:
    """Move holders between CE states and send due reminders (idempotent; daily)."""
    report = ce.sweep(parse_day(today), clock.now())
    click.echo(report.as_text())
