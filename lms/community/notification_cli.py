"""`flask --app wsgi community digest`: send the e-mail digests that are due."""
from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from lms import clock

community_cli = AppGroup("community", help="The learning network: notifications and digests.")


@community_cli.command("digest")
@click.option("--now", "now_text", default=None,
              help="Pretend it is this UTC time (ISO 8601), e.g. 2026-12-01T07:00:00+00:00.")
def digest_command(now_text: str | None) -> None:
    """Queue a digest e-mail for every member who is due one (never the same item twice)."""
    from lms.community.digest import run_digest

    now = clock.now()
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as err:
            raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T07:00:00+00:00") from err
        if now.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. +00:00")
    click.echo(run_digest(now).as_text())
