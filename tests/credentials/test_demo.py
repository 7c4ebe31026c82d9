"""`flask demo` shows holders in every state, each with a valid signed certificate; twice →
the same counts."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.credentials import services
from lms.credentials.models import Certificate, Credential, CredentialEvent
from lms.credentials.public import lookup
from lms.credentials.signing import check_pdf
from lms.extensions import db
from tests.credentials.conftest import REPO


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count(m.id)))
            for m in (Credential, Certificate, CredentialEvent)}


def test_demo_holders_in_every_state_with_valid_certificates(runner, app, now):
    app.config.update(FROZEN_NOW=now, COURSES_DIR=str(REPO / "courses"))
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    credentials = list(db.session.scalars(select(Credential)))
    found = lookup([c.credential_id for c in credentials], now.date())
    assert {p.status for p in found.values()} == {"active", "grace", "expired", "suspended",
                                                  "revoked"}
    for credential in credentials:
        certificate = services.current_certificate(credential)
        assert certificate is not None, credential.credential_id
        result = check_pdf(services.certificate_bytes(certificate))
        assert result.signature_valid and result.credential_id == credential.credential_id
    before = counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert counts() == before
