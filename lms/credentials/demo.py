"""Demo credentials (called by `flask demo` after the CE holders): a suspended and a revoked
holder beside the CE demo's active, grace and expired ones, and a signed certificate for every
holder (made once each; the demo stays idempotent).

- Grace Kim: suspended while a complaint is reviewed (the reason is public).
- Hugo Martin: revoked for exam misconduct (the reason is public).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from lms.auth import services as accounts
from lms.credentials import services
from lms.credentials.models import CREDENTIAL_ACTIVE

HOLDERS = [
    # email, display name, legal name, action, public reason, registrar's note
    ("grace.kim@example.org", "Grace Kim", "Grace Soo-ah Kim", "suspend",
     "Suspended while a complaint about a project report is reviewed."),
    ("hugo.martin@example.org", "Hugo Martin", "Hugo Antoine Martin", "revoke",
     "Revoked: the AP exam was taken with unauthorised help."),
]


def seed_credentials(now: datetime, password: str, registrar) -> list[str]:
    """Seed the suspended and revoked holders, then make any missing certificate."""
    today = now.date()
    for email, name, legal, action, reason in HOLDERS:
        user = accounts.get_user_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, "learner", password,
                                        now - timedelta(days=900))
            accounts.update_profile(user, {"legal_name": legal,
                                           "directory_opt_in": True})
        credential = services.current_credential(user)
        if credential is None:
            credential = services.issue(user, today - timedelta(days=300),
                                        "Passed the AP exam", registrar, now)
        if credential.state == CREDENTIAL_ACTIVE:
            services.change_state(credential, action, reason, registrar, now)
    services.make_missing_certificates(now)
    return [email for email, *_ in HOLDERS]
