"""Demo for verification (called by `flask demo` after the credential holders): a few holders
listed in the directory, so employers can find them by name, and each demo holder's public
verification address printed (idempotent: it only sets a profile flag)."""
from __future__ import annotations

from datetime import date

from lms.auth import services as accounts
from lms.credentials import public
from lms.credentials.services import current_credential

#: Holders who chose to be listed: `/verify?name=holt` finds them.
LISTED = ("amara.holt@example.org", "chioma.eze@example.org")


def seed_verify(holder_emails: list[str], today: date) -> list[str]:
    """List the LISTED holders in the directory; one line per demo holder:
    ``/verify/<ID>  Status  email``."""
    ids: dict[str, str] = {}
    for email in holder_emails:
        user = accounts.get_user_by_email(email)
        if user is None:
            continue
        if email in LISTED and not user.directory_opt_in:
            accounts.update_profile(user, {"directory_opt_in": True})
        credential = current_credential(user)
        if credential is not None:
            ids[email] = credential.credential_id
    found = public.lookup(list(ids.values()), today)
    return [f"/verify/{cid}  {found[cid].status:<9}  {email}"
            for email, cid in ids.items() if cid in found]
