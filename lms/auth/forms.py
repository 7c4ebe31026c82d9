from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.auth.services import MAX_PASSWORD, MIN_PASSWORD, PASSWORD_RULES
from lms.validators import MaxLength


def _password_length() -> Length:
    """The password length rule, explained in words (not WTForms' "between 10 and 200").
    No `maxlength` on the input: a browser would cut a long pasted password silently."""
    rule = Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
                  message=f"Use at least {MIN_PASSWORD} characters (and at most {MAX_PASSWORD}); "
                          "a short sentence is easy to remember.")
    rule.field_flags = {"minlength": MIN_PASSWORD}
    return rule


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), MaxLength(120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("E-mail address", validators=[DataRequired(), MaxLength(254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField("Password", validators=[DataRequired(), _password_length()],
                             description=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat password",
                            validators=[DataRequired(),
                                        EqualTo("password", "The passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Create account")


class SignInForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired()],
                       render_kw={"autocomplete": "email"})
    password = PasswordField("Password", validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class EmailForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), MaxLength(254)],
                       render_kw={"autocomplete": "email"})
    submit = SubmitField("Send link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), _password_length()],
                             description=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(),
                                        EqualTo("password", "The passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Set password")


class ChangePasswordForm(ResetPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Change password")


class ProfileForm(FlaskForm):
    name = StringField("Display name", validators=[DataRequired(), MaxLength(120)])
    legal_name = StringField("Legal name (as printed on certificates)",
                             validators=[Optional(), MaxLength(200)])
    organisation = StringField("Organisation", validators=[Optional(), MaxLength(200)])
    city = StringField("City", validators=[Optional(), MaxLength(120)])
    country = StringField("Country", validators=[Optional(), MaxLength(120)])
    bio = TextAreaField("Short bio", validators=[Optional(), MaxLength(2000)],
                        description="Up to 2,000 characters; Markdown is allowed.")
    focus_areas = SelectMultipleField(
        "Focus areas", choices=[], validators=[Optional()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description="The Pillars and Commitments you work on; peers find you by them in the "
                    "practitioner directory.")
    directory_opt_in = BooleanField("List me in the public practitioner directory")
    submit = SubmitField("Save profile")

    def __init__(self, *args, focus_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.focus_areas.choices = list(focus_choices)
        if not self.is_submitted() and kwargs.get("obj") is not None:
            self.focus_areas.data = kwargs["obj"].focus_area_keys
