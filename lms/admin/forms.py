from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import DataRequired

from lms.auth.models import ROLE_LABELS

try:  # WTForms 3.3 deprecates (value, label) tuples; 3.4 removes them
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

ROLE_CHOICES = [SelectChoice(value, label) if SelectChoice else (value, label)
                for value, label in ROLE_LABELS.items()]


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    submit = SubmitField("Change role")


class ActiveForm(FlaskForm):
    submit = SubmitField("Apply")
