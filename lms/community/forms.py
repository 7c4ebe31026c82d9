from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional

from lms.community.rules import MAX_BODY, MAX_REASON, MAX_TITLE
from lms.validators import MaxLength

_BODY_HELP = ("Markdown. Mention someone with @ and their name; link a lesson or quiz to show "
              "it as a card. Images from other sites are not shown.")


class ThreadForm(FlaskForm):
    kind = RadioField("This is a", choices=[("discussion", "Discussion"),
                                            ("question", "Question")], default="discussion")
    title = StringField("Title", validators=[DataRequired(), MaxLength(MAX_TITLE)])
    body = TextAreaField("Message", validators=[DataRequired(), MaxLength(MAX_BODY)],
                         description=_BODY_HELP, render_kw={"rows": 8,
                                                            "data-mentions": "true"})
    anonymous = BooleanField("Post as Anonymous to other members (moderators still see "
                             "your name)")
    submit = SubmitField("Start the thread")


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[DataRequired(), MaxLength(MAX_BODY)],
                         description=_BODY_HELP, render_kw={"rows": 6,
                                                            "data-mentions": "true"})
    quote_of = HiddenField()
    anonymous = BooleanField("Post as Anonymous to other members (moderators still see "
                             "your name)")
    submit = SubmitField("Post reply")


class EditForm(FlaskForm):
    body = TextAreaField("Text", validators=[DataRequired(), MaxLength(MAX_BODY)],
                         description=_BODY_HELP, render_kw={"rows": 10,
                                                            "data-mentions": "true"})
    submit = SubmitField("Save changes")


class FlagForm(FlaskForm):
    reason = StringField("Why should a moderator look at this post?",
                         validators=[DataRequired(), MaxLength(MAX_REASON)])
    submit = SubmitField("Flag for moderators")


class ModerateForm(FlaskForm):
    note = TextAreaField("Note (kept in the log)", validators=[Optional(), MaxLength(2000)])
    submit = SubmitField("Confirm")


class WarnForm(FlaskForm):
    message = TextAreaField("Message to the author", validators=[DataRequired(),
                                                                 MaxLength(2000)])
    submit = SubmitField("Send warning")


class SuspendForm(FlaskForm):
    days = IntegerField("Days", validators=[DataRequired(), NumberRange(1, 365)], default=7)
    reason = TextAreaField("Reason (sent to the member)", validators=[Optional(),
                                                                      MaxLength(2000)])
    submit = SubmitField("Suspend from posting")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm")
