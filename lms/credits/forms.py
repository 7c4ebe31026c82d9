"""CE forms (CSRF on every one)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from lms.validators import MaxLength


class ActivityForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), MaxLength(300)])
    provider = StringField("Provider", validators=[DataRequired(), MaxLength(200)],
                           description="Who ran it: PSE, ASLA, a university, your project.")
    completed_on = DateField("Date", validators=[DataRequired()])
    hours = StringField("Hours", validators=[DataRequired(), MaxLength(10)],
                        description="Contact hours, e.g. 1.5")
    category = SelectField("CE category", validators=[DataRequired()])
    activity_type = SelectField("Type of activity", validators=[DataRequired()])
    description = TextAreaField("What you did (optional)", validators=[MaxLength(5000)])
    evidence = FileField("Evidence file (PDF, PNG or JPEG)",
                         description="A certificate, attendance record or letter.")
    link = StringField("…or a link to the evidence", validators=[Optional(), MaxLength(500)])
    submit = SubmitField("Send for approval")


class AnswerForm(FlaskForm):
    answer = TextAreaField("Your answer", validators=[DataRequired(), MaxLength(5000)])
    evidence = FileField("Replace the evidence file (optional)")
    submit = SubmitField("Send answer")


class RenewForm(FlaskForm):
    attest = BooleanField("I attest that the CE activities in my record are true and complete.")
    submit = SubmitField("Renew my credential")


class AuditForm(FlaskForm):
    evidence = FileField("Evidence for your self-reported activities (PDF, PNG or JPEG)")
    note = TextAreaField("Note to the registrar (optional)", validators=[MaxLength(5000)])
    submit = SubmitField("Upload evidence")


class DecisionForm(FlaskForm):
    decision = SelectField("Decision", choices=[SelectChoice("approve", "Approve"),
                                                SelectChoice("info", "Ask for more information"),
                                                SelectChoice("reject", "Reject")])
    note = TextAreaField("Reason or question to the holder",
                         validators=[MaxLength(5000)],
                         description="Required to reject or to ask for more information.")
    submit = SubmitField("Record decision")


class AuditDecisionForm(FlaskForm):
    decision = SelectField("Decision", choices=[SelectChoice("pass", "Pass"),
                                                SelectChoice("fail", "Fail")])
    note = TextAreaField("Note (required to fail)", validators=[MaxLength(5000)])
    submit = SubmitField("Record decision")


class ReinstateForm(FlaskForm):
    decision = SelectField("Decision", choices=[SelectChoice("approve", "Reinstate"),
                                                SelectChoice("refuse", "Refuse")])
    note = TextAreaField("Note (required to refuse)", validators=[MaxLength(5000)])
    submit = SubmitField("Record decision")


class RosterForm(FlaskForm):
    roster = FileField("Roster CSV",
                       description="Columns: email,activity,provider,hours,category,"
                                   "completed_on (optional: type). All rows or none.")
    submit = SubmitField("Import roster")


class CorrectionForm(FlaskForm):
    action = SelectField("Correction", choices=[SelectChoice("reverse", "Reverse the entry"),
                                                SelectChoice("correct",
                                                             "Reverse and replace it")])
    hours = StringField("Corrected hours", validators=[Optional(), MaxLength(10)])
    category = SelectField("Corrected category", validators=[Optional()])
    reason = TextAreaField("Why", validators=[DataRequired(), MaxLength(5000)])
    submit = SubmitField("Record correction")
