"""Verify fixtures: holders with credentials (the credentials tests' own), a fixed day, and
certificate PDFs: genuine, unsigned, signed with another organisation's key."""
from __future__ import annotations

from datetime import date

import pytest

from lms.credentials import signing
from lms.credentials.certificates import CertificateContent, certificate_pdf, draw
from tests.credentials.conftest import TODAY, at, holder, programme_dir  # noqa: F401

__all__ = ["TODAY", "at", "holder", "programme_dir"]


@pytest.fixture
def today_is(app):
    """today_is(day): the app's clock stands at noon UTC on `day` (time injected)."""

    def travel(day: date) -> None:
        app.config["FROZEN_NOW"] = at(day)

    travel(TODAY)
    return travel


@pytest.fixture
def genuine_pdf(app):
    def make(credential) -> bytes:
        return certificate_pdf(credential, at(TODAY))

    return make


@pytest.fixture
def foreign_pdf(app, tmp_path):
    """A certificate for an ID, signed by a key of some other organisation's CA."""

    def make(credential_id: str) -> bytes:
        content = CertificateContent("Mallory Forger", "Just Communities Accredited "
                                     "Practitioner", "AP", credential_id, date(2026, 1, 5),
                                     date(2028, 1, 4), f"https://evil.example/{credential_id}")
        other = signing.load_setup({}, str(tmp_path / "other-ca"))
        return signing.sign(draw(content), other, credential_id)

    return make


@pytest.fixture
def unsigned_pdf(app):
    content = CertificateContent("Una Signed", "Just Communities Accredited Practitioner", "AP",
                                 "JCAP-2026-000001-Z", date(2026, 1, 5), None,
                                 "https://ap.example.org/verify/JCAP-2026-000001-Z")
    return draw(content)
