"""Forms of the quiz engine, and reading a quiz page's fields back into responses."""
from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

MAX_TEXT = 500


class StartForm(FlaskForm):
    honour = BooleanField("I agree to the honour statement")
    submit = SubmitField("Start")


class AccommodationForm(FlaskForm):
    learner = StringField("Learner's e-mail address", validators=[DataRequired(), Length(max=254)])
    kind = SelectField("Accommodation", choices=[SelectChoice("extra_time", "Extra time (minutes)"),
                                                 SelectChoice("extra_attempt", "Extra attempts")])
    amount = IntegerField("Amount", validators=[InputRequired(), NumberRange(min=1, max=600)])
    note = StringField("Reason (kept on record)", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Grant")


class ResultsFilterForm(FlaskForm):
    class Meta:
        csrf = False

    since = DateField("Submitted from", validators=[Optional()])
    until = DateField("Submitted until", validators=[Optional()])
    cohort = SelectField("Cohort", choices=[], validators=[Optional()])

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")

    def __init__(self, *args, cohorts: Sequence[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort.choices = [SelectChoice("", "Everyone")] + [SelectChoice(value, label)
                                                            for value, label in cohorts]


def responses_from_form(questions: list[dict], form) -> dict:
    """Read `q-<key>` fields (as the attempt page names them) into responses by question key.

    Only questions present on the page (a `present-<key>` marker) are read, so a partial post
    leaves other answers alone. Values are kept as sent; grading treats malformed ones as wrong.
    """
    out: dict = {}
    for q in questions:
        key = q["key"]
        if f"present-{key}" not in form:
            continue
        name = f"q-{key}"
        qtype = q["type"]
        if qtype in ("single", "truefalse"):
            out[key] = form.get(name) or None
        elif qtype == "multiple":
            out[key] = form.getlist(name)
        elif qtype in ("numeric", "text"):
            out[key] = (form.get(name) or "")[:MAX_TEXT]
        elif qtype == "matching":
            out[key] = {left["id"]: form.get(f"{name}-{left['id']}") or ""
                        for left in q.get("lefts", [])}
        elif qtype == "ordering":
            out[key] = _ordering(q, form, name)
    return out


def field_names(questions: list[dict]) -> set[str]:
    """Every answer field (and `present-` marker) the attempt page has for `questions`."""
    names: set[str] = set()
    for q in questions:
        key = q["key"]
        names.add(f"present-{key}")
        if q["type"] == "matching":
            names.update(f"q-{key}-{left['id']}" for left in q.get("lefts", []))
        elif q["type"] == "ordering":
            names.update(f"q-{key}-{item['id']}" for item in q.get("items", []))
        else:
            names.add(f"q-{key}")
    return names


def stray_fields(questions: list[dict], form) -> list[str]:
    """Answer fields in `form` that belong to no question of this attempt (a forged post)."""
    expected = field_names(questions)
    return sorted(name for name in form
                  if name.startswith(("q-", "present-")) and name not in expected)


def _ordering(q: dict, form, name: str) -> list[str] | None:
    ranks = []
    for item in q.get("items", []):
        raw = form.get(f"{name}-{item['id']}", "")
        if not raw.isdigit():
            return None  # not fully answered
        ranks.append((int(raw), item["id"]))
    return [item_id for _, item_id in sorted(ranks)]
