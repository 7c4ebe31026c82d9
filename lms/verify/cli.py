"""`flask --app wsgi verify rotate-key`: sign Open Badges with a new issuer key from now on.

The command belongs to the verify blueprint's own CLI group (``bp.cli``), so it needs no
registration of its own. Badges signed before keep verifying: the old key's public half stays
in the published JWKS (docs/verification.md, "Rotating the issuer key").
"""
from __future__ import annotations

import click

from lms.verify import keys


@click.command("rotate-key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rotate_key_command(yes: bool) -> None:
    """Make a new Open Badges signing key; keep publishing the old one's public half."""
    if not yes:
        click.confirm("New badges and status lists will be signed with a new key; the old "
                      "key stays published so earlier badges still verify. Rotate?",
                      abort=True)
    try:
        old_kid, new_kid = keys.rotate()
    except (OSError, RuntimeError, ValueError) as err:
        raise click.ClickException(f"the key was not rotated: {err}") from None
    click.echo(f"retired key {old_kid} (still published)")
    click.echo(f"signing key {new_kid}")
