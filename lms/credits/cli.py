"""`flask --app wsgi ce ...`: roster import and a holder's status as JSON."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from lms import clock
from lms.credits import services as ce
from lms.errors import DomainError

ce_cli = AppGroup("ce", help="Continuing education: roster import, holder status.")


def parse_day(value: str | None) -> date:
    """--today YYYY-MM-DD, or today's date (the app clock)."""
    if not value:
        return clock.now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@ce_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--today", help="Date the import is judged on (YYYY-MM-DD).")
def import_command(path: Path, today: str | None) -> None:
    """Import a provider's attendance roster (email,activity,provider,hours,category,
    completed_on): all rows or none."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException("The file is not UTF-8 text (save it as CSV UTF-8).") from None
    result = ce.import_roster(text, None, parse_day(today), clock.now())
    if result.errors:
        for error in result.errors:
            click.echo(f"{path}:{error}", err=True)
        raise click.ClickException(f"{len(result.errors)} bad rows: nothing was imported.")
    click.echo(f"{result.added} entries added, {result.skipped} already recorded (skipped).")


@ce_cli.command("status")
@click.argument("email")
@click.option("--today", help="Date to compute the status on (YYYY-MM-DD).")
def status_command(email: str, today: str | None) -> None:
    """Print a holder's CE status as JSON."""
    try:
        summary = ce.status_summary(email, parse_day(today))
    except DomainError as err:
        raise click.ClickException(str(err)) from None
    click.echo(json.dumps(summary, indent=2))
