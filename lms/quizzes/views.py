"""Quiz pages: start, answer (autosaved), submit, result; instructor results and analysis."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from lms import clock
from lms.auth import services as accounts
from lms.auth.access import login_required, role_required
from lms.cohorts import services as cohorts
from lms.courses import services as courses
from lms.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from lms.quizzes import analysis, services, tags
from lms.quizzes.forms import (
    MAX_TEXT,
    AccommodationForm,
    ResultsFilterForm,
    StartForm,
    answer_problems,
    flagged_keys,
    responses_from_form,
    stray_fields,
)
from lms.quizzes.models import Attempt

bp = Blueprint("quizzes", __name__, template_folder="templates", url_prefix="/quiz")

#: Quizzes with at least this many questions get a question navigator on the attempt page.
NAVIGATOR_FROM = 8


@bp.app_template_filter("points")
def points_filter(value) -> str:
    """Points to at most one decimal place: 2, 1.5, 0.3 (never 0.333333)."""
    text = f"{float(value or 0):.1f}"
    return text[:-2] if text.endswith(".0") else text


# ---------------------------------------------------------------- the quiz item page


def item_context(item, enrolment, user) -> dict:
    """Context for quizzes/item.html (registered by lms.quizzes.kind): the learner's
    standing and the start form.

    `doc` is blanked: the item frame's "On this page" contents would list every question of
    the pool (the quiz file's headings) before an attempt draws any.
    """
    try:
        quiz = services.quiz_for_item(item)
    except NotFound:
        return {"quiz": None, "doc": None}
    state = None
    if enrolment:
        now = clock.now()
        services.close_expired_for(user, quiz, now)  # the time limit decided it already
        state = services.learner_state(quiz, user, now)
    return {"quiz": quiz, "doc": None, "state": state, "start_form": StartForm(),
            "honour_statement": services.HONOUR_STATEMENT,
            "can_manage": services.can_manage(user, quiz),
            "pool_size": len(services.active_pool(quiz))}


def _quiz_or_404(quiz_id: int):
    try:
        quiz = services.get_quiz(quiz_id)
    except NotFound:
        abort(404)
    if not quiz.item.active or not courses.can_view(current_user, quiz.item.course):
        abort(404)  # a quiz removed from its course cannot be started or continued
    return quiz


def _attempt_or_error(attempt_id: int) -> Attempt:
    try:
        att = services.get_attempt_for(current_user, attempt_id, clock.now())
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    if att.status == "open" and att.quiz.retired_at is not None:
        abort(403, services.RETIRED)  # a retired quiz cannot be continued either
    return att


def _item_url(quiz) -> str:
    return url_for("courses.item", code=quiz.item.course.code, slug=quiz.item.slug)


@bp.route("/<int:quiz_id>/start", methods=["POST"])
@login_required
def start(quiz_id: int):
    quiz = _quiz_or_404(quiz_id)
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    enrolment = courses.get_enrolment(current_user, quiz.item.course)
    try:
        attempt = services.start_attempt(quiz, current_user, enrolment, clock.now(),
                                         honour=bool(form.honour.data))
    except DomainError as err:
        flash(str(err), "error")
        return redirect(_item_url(quiz))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    att = _attempt_or_error(attempt_id)
    quiz = att.quiz
    if services.is_expired(att, clock.now()):
        # Time is up: close it (see services.close_expired_for) and show the result.
        services.close_expired_for(current_user, quiz, clock.now())
        att = _attempt_or_error(attempt_id)
    if att.status == "submitted":
        state = services.learner_state(quiz, current_user, clock.now())
        show = services.shows_answers(att, state)
        _, next_item = courses.neighbours(quiz.item.course, quiz.item)
        return render_template("quizzes/result.html", attempt=att, quiz=quiz, state=state,
                               show_answers=show, review=services.review(att, show_answers=show),
                               item_url=_item_url(quiz), next_item=next_item,
                               tag_groups=tags.candidate_groups(att.per_tag or {},
                                                                exam=bool(quiz.exam)))
    return render_template("quizzes/attempt.html", attempt=att, quiz=quiz,
                           questions=services.public_questions(att), remaining=_remaining(att),
                           allowed=_allowed_minutes(att), item_url=_item_url(quiz),
                           navigator_from=NAVIGATOR_FROM, max_text=MAX_TEXT)


def _form_answers(att: Attempt) -> dict:
    """The posted answers; fields for questions not drawn in this attempt refuse the post."""
    questions = services.public_questions(att)
    if stray_fields(questions, request.form):
        raise ValidationError("Answers were sent for questions that are not part of this "
                              "attempt; nothing was saved.")
    problems = answer_problems(questions, request.form)
    if problems:
        raise ValidationError("Nothing was saved. " + " ".join(problems))
    return responses_from_form(questions, request.form)


def _form_flags(att: Attempt) -> set[str] | None:
    return flagged_keys(services.public_questions(att), request.form)


@bp.route("/attempts/<int:attempt_id>/answers", methods=["POST"])
@login_required
def save(attempt_id: int):
    """Autosave (fetch, JSON) or the no-script "Save answers" button (redirect)."""
    att = _attempt_or_error(attempt_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        saved = services.save_answers(att, _form_answers(att), clock.now(),
                                      flags=_form_flags(att))
    except services.TimeUp as err:
        if wants_json:
            return jsonify({"error": str(err), "submitted": True,
                            "result_url": url_for("quizzes.attempt", attempt_id=att.id)}), 409
        flash(str(err), "error")
        return redirect(url_for("quizzes.attempt", attempt_id=att.id))
    except Conflict as err:
        if wants_json:
            return jsonify({"error": str(err), "submitted": True,
                            "result_url": url_for("quizzes.attempt", attempt_id=att.id)}), 409
        flash(str(err), "error")
        return redirect(url_for("quizzes.attempt", attempt_id=att.id))
    except DomainError as err:
        if wants_json:
            return jsonify({"error": str(err)}), 422
        flash(str(err), "error")
        return redirect(url_for("quizzes.attempt", attempt_id=att.id))
    if wants_json:
        return jsonify({"saved": len(saved), "at": clock.now().isoformat()})
    if request.args.get("then") == "summary":
        return redirect(url_for("quizzes.summary", attempt_id=att.id))
    flash("Your answers are saved.", "success")
    return redirect(url_for("quizzes.attempt", attempt_id=att.id))


@bp.route("/attempts/<int:attempt_id>/summary")
@login_required
def summary(attempt_id: int):
    """Before the final submission: answered, unanswered and flagged questions; confirm."""
    att = _attempt_or_error(attempt_id)
    if att.status != "open":
        return redirect(url_for("quizzes.attempt", attempt_id=att.id))
    return render_template("quizzes/summary.html", attempt=att, quiz=att.quiz,
                           rows=services.submission_summary(att),
                           remaining=_remaining(att), item_url=_item_url(att.quiz))


def _remaining(att: Attempt) -> int | None:
    """Seconds left on an open timed attempt (None when untimed)."""
    if att.deadline_at is None:
        return None
    return max(0, int((att.deadline_at - clock.now()).total_seconds()))


def _allowed_minutes(att: Attempt) -> tuple[int, int] | None:
    """(the quiz's time limit, this learner's extra minutes) of a timed attempt."""
    if att.deadline_at is None or not att.settings.get("time_limit"):
        return None
    base = int(att.settings["time_limit"])
    total = round((att.deadline_at - att.started_at).total_seconds() / 60)
    return base, max(0, total - base)


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    att = _attempt_or_error(attempt_id)
    if att.status == "open":
        try:
            services.submit_attempt(att, _form_answers(att), clock.now())
        except DomainError as err:
            flash(str(err), "error")
            return redirect(url_for("quizzes.attempt", attempt_id=att.id))
    return redirect(url_for("quizzes.attempt", attempt_id=att.id))


# ---------------------------------------------------------------- instructors


def _managed_quiz_or_403(quiz_id: int):
    quiz = _quiz_or_404(quiz_id)
    if not services.can_manage(current_user, quiz):
        abort(403)
    return quiz


def _filters() -> tuple[ResultsFilterForm, dict]:
    """The results filter (submitted between two dates, by cohort) from the query string."""
    form = ResultsFilterForm(request.args, cohorts=cohorts.cohort_choices())
    criteria: dict = {}
    if form.validate():
        if form.since.data:
            criteria["since"] = datetime.combine(form.since.data, time.min, tzinfo=UTC)
        if form.until.data:
            criteria["until"] = (datetime.combine(form.until.data, time.min, tzinfo=UTC)
                                 + timedelta(days=1))
        if form.cohort.data:
            criteria["user_ids"] = cohorts.member_ids(cohorts.get_cohort(form.cohort.data))
    return form, criteria


@bp.route("/<int:quiz_id>/results")
@role_required("instructor")
def results(quiz_id: int):
    quiz = _managed_quiz_or_403(quiz_id)
    filter_form, criteria = _filters()
    attempts = services.submitted_attempts(quiz, **criteria)
    return render_template("quizzes/results.html", quiz=quiz, attempts=attempts,
                           filter_form=filter_form, report=services.analyse(quiz, attempts),
                           accommodations=services.accommodations(quiz),
                           accommodation_form=AccommodationForm(), item_url=_item_url(quiz))


@bp.route("/<int:quiz_id>/analysis.csv")
@role_required("instructor")
def analysis_csv(quiz_id: int):
    quiz = _managed_quiz_or_403(quiz_id)
    _, criteria = _filters()
    report = services.analyse(quiz, services.submitted_attempts(quiz, **criteria))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(analysis.to_csv_rows(report))
    filename = f"{quiz.item.course.code}-{quiz.item.slug.replace('/', '-')}-item-analysis.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/<int:quiz_id>/attempts/<int:attempt_id>")
@role_required("instructor")
def attempt_detail(quiz_id: int, attempt_id: int):
    quiz = _managed_quiz_or_403(quiz_id)
    try:
        att = services.attempt_in(quiz, attempt_id)
    except NotFound:
        abort(404)
    return render_template("quizzes/attempt_detail.html", quiz=quiz, attempt=att,
                           review=services.review(att, show_answers=True)
                           if att.status == "submitted" else [], item_url=_item_url(quiz),
                           tag_groups=tags.group_tags(att.per_tag or {}))


@bp.route("/<int:quiz_id>/accommodations", methods=["POST"])
@role_required("instructor")
def accommodate(quiz_id: int):
    quiz = _managed_quiz_or_403(quiz_id)
    form = AccommodationForm()
    if form.validate_on_submit():
        learner = accounts.get_user_by_email(form.learner.data)
        if learner is None:
            flash(f"No account for {form.learner.data}.", "error")
        else:
            try:
                services.grant_accommodation(
                    quiz, learner, form.kind.data, form.amount.data, current_user, clock.now(),
                    form.note.data or "",
                    max_minutes=current_app.config["QUIZ_MAX_EXTRA_MINUTES"],
                    max_attempts=current_app.config["QUIZ_MAX_EXTRA_ATTEMPTS"])
            except DomainError as err:
                flash(str(err), "error")
            else:
                flash(f"Granted to {learner.name}.", "success")
    else:
        flash("Check the accommodation form: " + "; ".join(
            f"{form[f].label.text}: {' '.join(e)}" for f, e in form.errors.items()), "error")
    return redirect(url_for("quizzes.results", quiz_id=quiz.id))
