"""Forms of the quiz engine, and reading a quiz page's fields back into responses."""
from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from lms.quizzes.grading import MAX_NUMERIC_ANSWER, parse_number
from lms.validators import MaxLength

MAX_TEXT = 500


class StartForm(FlaskForm):
    honour = BooleanField("I agree to the honour statement")
    submit = SubmitField("Start")


class AccommodationForm(FlaskForm):
    learner = StringField("Learner's e-mail address", validators=[DataRequired(), MaxLength(254)])
    kind = SelectField("Accommodation", choices=[SelectChoice("extra_time", "Extra time (minutes)"),
                                                 SelectChoice("extra_attempt", "Extra attempts")])
    amount = IntegerField("Amount", validators=[InputRequired(), NumberRange(min=1, max=600)])
    note = StringField("Reason (kept on record)", validators=[Optional(), MaxLength(300)])
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
            out[key] = form.get(name) or ""  # answer_problems refuses over-long answers
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
        if not (raw.isascii() and raw.isdigit()):
            return None  # not fully answered (answer_problems refuses odd values)
        ranks.append((int(raw), item["id"]))
    return [item_id for _, item_id in sorted(ranks)]


def flagged_keys(questions: list[dict], form) -> set[str] | None:
    """Keys of the questions flagged for review (`flag-<key>` ticked); None when the post
    carries no flag fields at all (a partial post leaves the flags alone)."""
    if not any(f"present-{q['key']}" in form for q in questions):
        return None
    return {q["key"] for q in questions if form.get(f"flag-{q['key']}")}


def answer_problems(questions: list[dict], form) -> list[str]:
    """What is wrong with the posted answers, one message per field, question by question.

    Inputs say what they accept: a numeric answer is written in digits (no words, no
    superscripts or circled digits, at most MAX_NUMERIC_ANSWER characters); a short answer is
    at most MAX_TEXT characters (refused, never cut); an ordering gives each item a different
    position between 1 and the number of items. Empty fields are fine (not answered yet).
    """
    problems = []
    for q in questions:
        key, number = q["key"], q.get("position", "?")
        if f"present-{key}" not in form:
            continue
        name = f"q-{key}"
        raw = form.get(name) or ""
        if q["type"] == "numeric" and raw.strip():
            if len(raw.strip()) > MAX_NUMERIC_ANSWER or not raw.isascii() \
                    or parse_number(raw) is None:
                problems.append(f"Question {number}: “{raw.strip()[:40]}” is not a number. "
                                "Write it in digits, e.g. 22, -3 or 2.5.")
        elif q["type"] == "text" and len(raw) > MAX_TEXT:
            problems.append(f"Question {number}: your answer is {len(raw)} characters long; "
                            f"the limit is {MAX_TEXT}. Shorten it; nothing was cut.")
        elif q["type"] == "ordering":
            items = q.get("items", [])
            raws = [form.get(f"{name}-{item['id']}", "") for item in items]
            given = [r for r in raws if r != ""]
            if any(not (r.isascii() and r.isdigit()) or not 1 <= int(r) <= len(items)
                   for r in given):
                problems.append(f"Question {number}: a position must be a whole number from "
                                f"1 to {len(items)}.")
            elif len(set(given)) != len(given):
                problems.append(f"Question {number}: two items are at the same position; "
                                "give each item its own position.")
    return problems
