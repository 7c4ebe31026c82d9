"""`flask --app wsgi credentials ...`: issue, certificate, suspend/reinstate/revoke, sweep.

Bad input (unknown e-mail or ID, an empty reason, a second issue): a clear message, exit 1,
nothing changed.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lms import clock
from lms.auth.services import get_user_by_email
from lms.credentials import services
from lms.credentials.signing import SigningUnavailable
from lms.credits import services as ce
from lms.credits.cli import parse_day
from lms.errors import DomainError

credentials_cli = AppGroup("credentials",
                           help="Credentials: issue, certificates, lifecycle, daily CE sweep.")


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
        day = parse_day(issued_on)
    except click.BadParameter as err:  # exit 1 like every other refusal
        raise click.ClickException(f"--issued-on: {err.message}") from None
    try:
        credential = services.issue(user, day, reason, None, clock.now())
    except DomainError as err:
        raise click.ClickException(str(err)) from None
    click.echo(credential.credential_id)


@credentials_cli.command("certificate")
@click.argument("credential_id")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the signed PDF.")
def certificate_command(credential_id: str, out: str) -> None:
    """Write the current signed certificate of CREDENTIAL_ID to a PDF file."""
    try:
        credential = services.get_credential(credential_id)
        certificate = services.ensure_certificate(credential, clock.now())
        data = services.certificate_bytes(certificate)
    except (DomainError, SigningUnavailable) as err:
        raise click.ClickException(str(err)) from None
    Path(out).write_bytes(data)
    click.echo(f"{out}: certificate of {credential.credential_id} ({len(data)} bytes, signed)")


def _lifecycle(action: str):
    @click.argument("credential_id")
    @click.option("--reason", default="", help="Why (required: kept in the history; suspension "
                                               "and revocation reasons are public).")
    def command(credential_id: str, reason: str) -> None:
        # A missing --reason is refused like an empty one (exit 1, not Click's usage error 2).
        try:
            credential = services.get_credential(credential_id)
            credential = services.change_state(credential, action, reason, None, clock.now())
        except DomainError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"{credential.credential_id}: {credential.state}")

    command.__doc__ = f"{action.capitalize()} CREDENTIAL_ID with a reason."
    return credentials_cli.command(action)(command)


for _action in services.ACTIONS:
    _lifecycle(_action)


@credentials_cli.command("sweep")
@click.option("--today", help="Sweep as of this date (YYYY-MM-DD); default today.")
def sweep_command(today: str | None) -> None:
    """Move holders between CE states and send due reminders (idempotent; daily)."""
    report = ce.sweep(parse_day(today), clock.now())
    click.echo(report.as_text())
