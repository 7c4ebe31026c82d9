"""The certificate PDF: drawn with reportlab, QR code by segno, signed with pyHanko.

:func:`draw` is pure (no database, no clock): the holder's legal name, the credential's name,
its ID, the issued and valid-until dates, the programme's seal (drawn, no image file), a QR code
that opens the public verification page for the ID, and how to verify. :func:`certificate_pdf`
draws and signs one for a credential; :func:`check_pdf` (from :mod:`lms.credentials.signing`)
tells a verifier what a PDF they hold is.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, request

from lms.credentials.signing import (
    SUBJECT_PREFIX,
    PdfCheck,
    SigningUnavailable,
    check_pdf,
    setup,
    sign,
)
from lms.credits.rules import format_date

__all__ = ["CertificateContent", "PdfCheck", "SigningUnavailable", "certificate_pdf",
           "check_pdf", "draw", "verify_path", "verify_url"]

VERIFY_PATH = "/verify/"
#: The holder's credential page (links in e-mails are built on it outside requests).
HOLDER_PATH = "/credential"
NAVY = (0.09, 0.20, 0.36)
GOLD = (0.72, 0.56, 0.20)


def verify_path(credential_id: str) -> str:
    """The public verification page's path for an ID (the verify feature serves it)."""
    return VERIFY_PATH + credential_id


def site_url(path: str) -> str:
    """An absolute link: on BASE_URL when set, else on the request's host (outside a request,
    e.g. the CLI or a task without BASE_URL, on http://localhost:5000)."""
    base = current_app.config.get("BASE_URL")
    if not base:
        try:
            base = request.host_url
        except RuntimeError:  # no request: a relative URL would be useless in a PDF or e-mail
            base = "http://localhost:5000/"
    return base.rstrip("/") + path


def verify_url(credential_id: str) -> str:
    """``<BASE_URL>/verify/<ID>``: the public verification page of the ID."""
    return site_url(verify_path(credential_id))


@dataclass(frozen=True)
class CertificateContent:
    holder_name: str
    credential_name: str
    abbreviation: str
    credential_id: str
    issued_on: date
    valid_until: date | None
    verify_url: str


def _seal(c, x: float, y: float, radius: float, abbreviation: str) -> None:
    """The programme's seal: rings, a star of rays, the abbreviation and circular lettering."""
    c.saveState()
    c.setStrokeColorRGB(*GOLD)
    c.setFillColorRGB(*GOLD)
    c.setLineWidth(2.2)
    c.circle(x, y, radius, stroke=1, fill=0)
    c.setLineWidth(0.8)
    c.circle(x, y, radius * 0.93, stroke=1, fill=0)
    c.circle(x, y, radius * 0.62, stroke=1, fill=0)
    for i in range(36):  # the serrated edge
        angle = 2 * math.pi * i / 36
        c.line(x + radius * math.cos(angle), y + radius * math.sin(angle),
               x + radius * 1.06 * math.cos(angle), y + radius * 1.06 * math.sin(angle))
    c.setFont("Helvetica-Bold", radius * 0.42)
    c.drawCentredString(x, y - radius * 0.15, abbreviation[:4])
    text = "JUST COMMUNITIES \u2022 ACCREDITED PRACTITIONER \u2022 "
    c.setFont("Helvetica-Bold", radius * 0.13)
    step = 2 * math.pi / len(text)
    for i, char in enumerate(text):
        angle = math.pi / 2 - i * step
        c.saveState()
        c.translate(x + radius * 0.77 * math.cos(angle), y + radius * 0.77 * math.sin(angle))
        c.rotate(math.degrees(angle) - 90)
        c.drawCentredString(0, -radius * 0.045, char)
        c.restoreState()
    c.restoreState()


def qr_code(url: str):
    """The QR code of a verification address (certificates and the verification page).

    A fixed mask: segno would otherwise draw the code with each of the 8 masks and score them,
    which is about four fifths of its time (6 ms a code); every mask gives a valid code."""
    import segno

    return segno.make(url, error="m", micro=False, mask=2)


def _qr(c, url: str, x: float, y: float, size: float) -> None:
    """A QR code of `url` as vector squares (segno computes the matrix)."""
    matrix = list(qr_code(url).matrix)
    border = 2
    modules = len(matrix) + 2 * border
    cell = size / modules
    c.saveState()
    c.setFillColorRGB(1, 1, 1)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    path = c.beginPath()
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                path.rect(x + (col_index + border) * cell,
                          y + size - (row_index + border + 1) * cell, cell, cell)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def draw(content: CertificateContent) -> bytes:
    """The unsigned certificate PDF (A4 landscape). Pure."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    width, height = landscape(A4)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(width, height), invariant=True, pageCompression=1)
    c.setTitle(f"{content.credential_name}: {content.holder_name}")
    c.setAuthor("Just Communities AP programme")
    c.setSubject(SUBJECT_PREFIX + content.credential_id)
    c.setCreator("Just Communities AP learning platform")
    # Frame
    c.setStrokeColorRGB(*NAVY)
    c.setLineWidth(6)
    c.rect(24, 24, width - 48, height - 48)
    c.setStrokeColorRGB(*GOLD)
    c.setLineWidth(1.2)
    c.rect(36, 36, width - 72, height - 72)
    # Heading
    c.setFillColorRGB(*NAVY)
    c.setFont("Helvetica-Bold", 13)
    c.drawCentredString(width / 2, height - 90, "JUST COMMUNITIES")
    c.setFont("Times-Bold", 34)
    c.drawCentredString(width / 2, height - 135, "Certificate of Accreditation")
    c.setFillColorRGB(0.2, 0.2, 0.2)
    c.setFont("Times-Italic", 15)
    c.drawCentredString(width / 2, height - 180, "This certifies that")
    c.setFillColorRGB(0, 0, 0)
    name_size = 30 if len(content.holder_name) <= 40 else 22
    c.setFont("Times-Bold", name_size)
    c.drawCentredString(width / 2, height - 222, content.holder_name)
    c.setStrokeColorRGB(*GOLD)
    c.setLineWidth(0.8)
    c.line(width / 2 - 220, height - 232, width / 2 + 220, height - 232)
    c.setFillColorRGB(0.2, 0.2, 0.2)
    c.setFont("Times-Italic", 15)
    c.drawCentredString(width / 2, height - 262, "has met every requirement of and holds the")
    c.setFillColorRGB(*NAVY)
    c.setFont("Times-Bold", 22)
    c.drawCentredString(width / 2, height - 295,
                        f"{content.credential_name} ({content.abbreviation})")
    # Details
    c.setFillColorRGB(0, 0, 0)
    left = 80
    rows = [("Credential ID", content.credential_id),
            ("Issued", format_date(content.issued_on)),
            ("Valid until", format_date(content.valid_until) if content.valid_until
             else "while its continuing-education requirements are met")]
    y = 190
    for label, value in rows:
        c.setFont("Helvetica", 10)
        c.drawString(left, y, label)
        c.setFont("Helvetica-Bold", 12)
        c.drawString(left + 90, y, value)
        y -= 22
    # Seal and QR code
    _seal(c, width / 2 + 40, 140, 52, content.abbreviation)
    qr_size = 110
    _qr(c, content.verify_url, width - 80 - qr_size, 88, qr_size)
    c.setFont("Helvetica", 8)
    c.drawCentredString(width - 80 - qr_size / 2, 76, "Scan to verify")
    # How to verify
    c.setFillColorRGB(0.25, 0.25, 0.25)
    c.setFont("Helvetica", 8.5)
    c.drawString(left, 70, f"Verify this credential at {content.verify_url} or scan the "
                           f"QR code. This PDF is digitally signed by Just Communities;")
    c.drawString(left, 58, "a PDF reader shows the signature, and any change made after "
                           "signing is reported.")
    c.showPage()
    c.save()
    return out.getvalue()


def sign_certificate(content: CertificateContent) -> bytes:
    """Draw and sign. Raises SigningUnavailable (never returns an unsigned PDF)."""
    return sign(draw(content), setup(), content.credential_id)


def certificate_pdf(credential, now: datetime) -> bytes:
    """A signed certificate for a credential (its holder's legal name, dates as of `now`).

    Raises SigningUnavailable when the signing key is missing or unreadable.
    """
    from lms.credentials import services

    return sign_certificate(services.certificate_content(credential, now.date()))
