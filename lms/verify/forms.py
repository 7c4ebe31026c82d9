"""The verification page's forms: look up (GET, no token needed) and upload a PDF (POST)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField
from wtforms.validators import Optional

from lms.validators import MaxLength


class LookupForm(FlaskForm):
    """A search: it changes nothing, so it is a GET and carries no CSRF token."""

    class Meta:
        csrf = False

    id = StringField("Credential ID", validators=[Optional(), MaxLength(64)],
                     description="As printed on the certificate, e.g. JCAP-2026-000123-K.")
    name = StringField("Or a holder's name", validators=[Optional(), MaxLength(100)],
                       description="Only holders who chose to be listed in the directory are "
                                   "found by name.")
    submit = SubmitField("Look up")


class PdfForm(FlaskForm):
    file = FileField("Certificate PDF", validators=[FileRequired("Choose the PDF to check.")])
    submit = SubmitField("Check the PDF")
