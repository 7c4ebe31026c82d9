"""Issuing a credential (minimal until issue 12): a safe serial, the record, the CE cycle."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User
from lms.credentials.ids import format_id
from lms.credentials.models import CREDENTIAL_ACTIVE, Credential, CredentialSerial
from lms.credits import services as credits
from lms.errors import Conflict, ValidationError
from lms.extensions import db


def next_serial(year: int) -> int:
    """The next serial of the year: one conditional UPDATE ... RETURNING on the year's row
    (the row lock serialises concurrent issues); the row is made on the year's first issue."""
    for _ in range(3):
        serial = db.session.scalar(update(CredentialSerial).where(CredentialSerial.year == year)
                                   .values(last=CredentialSerial.last + 1)
                                   .returning(CredentialSerial.last))
        if serial is not None:
            return serial
        try:
            with db.session.begin_nested():
                db.session.add(CredentialSerial(year=year, last=0))
        except IntegrityError:  # another transaction made it first: take the next one
            pass
    raise Conflict("Could not allocate a credential serial; try again.")


def issue(user: User, issued_on: date, reason: str, by: User | None,
          now: datetime) -> Credential:
    """Issue the credential and start the holder's CE cycle on `issued_on`."""
    existing = db.session.scalar(select(Credential).where(
        Credential.user_id == user.id, Credential.state == CREDENTIAL_ACTIVE))
    if existing is not None:
        raise Conflict(f"{user.email} already holds {existing.credential_id}.")
    if issued_on > now.date():
        raise ValidationError("The issue date cannot be in the future.")
    programme = credits.current_programme()
    credential_id = format_id(programme.credential.id_prefix, issued_on.year,
                              next_serial(issued_on.year))
    credential = Credential(user_id=user.id, credential_id=credential_id, issued_on=issued_on,
                            reason=reason.strip(), issued_by_id=by.id if by else None,
                            state=CREDENTIAL_ACTIVE, created_at=now)
    db.session.add(credential)
    credits.start_holder(user, issued_on, credential_id, now)
    db.session.commit()
    return credential
