"""`flask --app wsgi quizzes close-expired`"""
from __future__ import annotations

import click

from lms import clock
from lms.quizzes import services


@click.group("quizzes", help="Quiz engine maintenance.")
def quizzes_cli():
    pass


@quizzes_cli.command("close-expired")
def close_expired():
    """Submit every open attempt past its time limit (with the answers it saved)."""
    count = services.close_expired(clock.now())
    click.echo(f"Submitted {count} expired attempt(s).")
