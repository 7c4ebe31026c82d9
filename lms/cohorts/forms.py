from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from lms.validators import MaxLength


class CohortForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), MaxLength(120)],
                       description="For example: Spring 2027 intake, "
                                   "or City of Eastbrook planning team.")
    description = TextAreaField("Description", validators=[MaxLength(2000)])
    submit = SubmitField("Save cohort")


class AddMembersForm(FlaskForm):
    emails = TextAreaField("E-mail addresses", validators=[DataRequired()],
                           description="One per line, or separated by commas. "
                                       "Each must belong to an account.")
    submit = SubmitField("Add to cohort")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm")
