from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from lms.validators import MaxLength

WHOLE_PROGRAMME = ""


class CohortForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), MaxLength(120)],
                       description="For example: Spring 2027 intake, "
                                   "or City of Eastbrook planning team.")
    description = TextAreaField("Description", validators=[MaxLength(2000)])
    course_id = SelectField("Course", choices=[], validators=[Optional()],
                         description="The course this cohort takes together, or the whole "
                                     "programme.")
    region = StringField("Region", validators=[Optional(), MaxLength(120)],
                         description="Where its members work, e.g. Atlanta metro or "
                                     "West Africa.")
    starts_on = DateField("Starts on", validators=[Optional()])
    ends_on = DateField("Ends on", validators=[Optional()])
    submit = SubmitField("Save cohort")

    def __init__(self, *args, courses: Sequence[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = [(WHOLE_PROGRAMME, "The whole programme")] + [
            (str(cid), label) for cid, label in courses]
        if not self.is_submitted() and kwargs.get("obj") is not None:
            course_id = getattr(kwargs["obj"], "course_id", None)
            self.course_id.data = str(course_id) if course_id else WHOLE_PROGRAMME

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The cohort cannot end before it starts.")

    @property
    def chosen_course_id(self) -> int | None:
        return int(self.course_id.data) if self.course_id.data else None


class AddMembersForm(FlaskForm):
    emails = TextAreaField("E-mail addresses", validators=[DataRequired()],
                           description="One per line, or separated by commas. "
                                       "Each must belong to an account.")
    facilitators = BooleanField("Add them as facilitators (they guide the cohort and "
                                "moderate its board)")
    submit = SubmitField("Add to cohort")


class InviteForm(FlaskForm):
    days = IntegerField("Link open for (days)", default=14,
                        validators=[InputRequired(), NumberRange(min=1, max=365)],
                        description="Anyone with the link who signs in can join until then; "
                                    "you can withdraw it sooner.")
    submit = SubmitField("Create invitation link")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm")
