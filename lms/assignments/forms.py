"""Assignment forms. Rubric levels and per-criterion comments are read from the request by
index (the rubric decides how many), after the form's CSRF check."""
from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Optional

from lms.text import whole_number
from lms.validators import MaxLength


class ActionForm(FlaskForm):
    """CSRF protection for one-button actions."""

    submit = SubmitField("Go")


class DraftForm(FlaskForm):
    body = TextAreaField("Your response (Markdown)", validators=[Optional(), MaxLength(100_000)])
    versions = HiddenField()  # the version count the page showed (two tabs submit once)
    save = SubmitField("Save draft")
    submit = SubmitField("Submit")


class UploadForm(FlaskForm):
    file = FileField("Attach a file")
    upload = SubmitField("Attach")


class ReviewForm(FlaskForm):
    strength = TextAreaField("One strength", validators=[Optional(), MaxLength(5000)])
    suggestion = TextAreaField("One suggestion", validators=[Optional(), MaxLength(5000)])
    send = SubmitField("Send review")


class GradeForm(FlaskForm):
    overall = TextAreaField("Overall comment", validators=[Optional(), MaxLength(5000)])
    save = SubmitField("Save grade")


def levels_from(form: Mapping[str, str], criteria: int) -> list[int | None]:
    """The chosen level of each criterion (fields level-0, level-1 ...); None when missing."""
    out: list[int | None] = []
    for index in range(criteria):
        raw = (form.get(f"level-{index}") or "").strip()
        out.append(whole_number(raw))
    return out


def comments_from(form: Mapping[str, str], criteria: int) -> list[str]:
    return [(form.get(f"comment-{index}") or "")[:5000] for index in range(criteria)]
