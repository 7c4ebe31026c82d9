from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional

from lms.validators import MaxLength


class EditItemForm(FlaskForm):
    source = TextAreaField("Markdown", validators=[DataRequired(), MaxLength(500_000)],
                           description="The whole file, front matter included. The preview "
                                       "uses the same renderer learners see.")
    note = StringField("What changed (optional)", validators=[Optional(), MaxLength(300)])
    base_revision = HiddenField()
    submit = SubmitField("Publish", description="Save as a new revision learners see.")
    save_draft = SubmitField("Save draft")
    discard = SubmitField("Discard draft")


class ActionForm(FlaskForm):
    """A bare form: CSRF protection for one-button actions (enrol, complete, restore)."""

    submit = SubmitField("Go")
