"""Credential forms (CSRF on every one)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from lms.validators import MaxLength


class IssueForm(FlaskForm):
    email = EmailField("Holder's e-mail", validators=[DataRequired(), MaxLength(254)])
    issued_on = DateField("Date earned", validators=[Optional()],
                          description="Leave empty for today.")
    reason = TextAreaField("Reason", validators=[DataRequired(), MaxLength(2000)],
                           description="Kept in the credential's history, e.g. "
                                       "“passed the AP exam at the 2026 academy”.")
    submit = SubmitField("Issue the credential")


class StateForm(FlaskForm):
    action = SelectField("Action", choices=[SelectChoice("suspend", "Suspend"),
                                            SelectChoice("reinstate", "Reinstate"),
                                            SelectChoice("revoke", "Revoke")],
                         validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[DataRequired(), MaxLength(2000)],
                           description="The reason of a suspension or revocation is shown on "
                                       "the public verification page.")
    submit = SubmitField("Apply")


class ResendForm(FlaskForm):
    submit = SubmitField("Re-send the certificate e-mail")


class ReissueForm(FlaskForm):
    submit = SubmitField("Make a new certificate now")


class BundleForm(FlaskForm):
    cohort = SelectField("Cohort", validators=[DataRequired()])
    submit = SubmitField("Prepare the ZIP")
