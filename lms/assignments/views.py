"""Assignment pages: the learner's work on the item page (draft, files, submit, versions,
feedback, reviews to do), peer review, the instructor's grading queue and grade page, release,
comment bank, CSV and ZIP downloads."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from lms import clock, storage
from lms.assignments import rules, services
from lms.assignments.forms import (
    ActionForm,
    DraftForm,
    GradeForm,
    ReviewForm,
    UploadForm,
    comments_from,
    levels_from,
)
from lms.assignments.models import STATUS_LABELS, STATUSES
from lms.auth.access import login_required, role_required
from lms.cohorts import services as cohorts
from lms.courses import services as courses
from lms.errors import DomainError, NotFound, PermissionDenied
from lms.markdown import render

bp = Blueprint("assignments", __name__, template_folder="templates", url_prefix="/assignments")


# ---------------------------------------------------------------- the item page


def item_context(item, enrolment, user) -> dict:
    """Context for assignments/item.html (registered by lms.assignments.kind)."""
    try:
        assignment = services.assignment_for_item(item)
    except NotFound:
        return {"assignment": None}
    now = clock.now()
    submission = services.submission_of(assignment, user)
    reviews = services.reviews_of(submission) if submission else []
    versions = services.versions(submission) if submission else []
    return {
        "assignment": assignment, "doc": None, "submission": submission,
        "prompt_html": render(assignment.prompt),
        "due": services.due_at(assignment, enrolment),
        "status_labels": STATUS_LABELS,
        "timeline": services.timeline(submission, assignment),
        "versions": versions,
        "released": services.released_grades(submission) if submission else {},
        "draft_files": services.draft_attachments(submission),
        "peer_reviews": reviews,
        "reviews_visible": services.reviews_visible(submission, reviews, now)
        if submission else False,
        "fallback_reviews": any(r.fallback for r in reviews),
        "reviews_to_do": services.reviews_to_do(assignment, user),
        "draft_form": DraftForm(body=submission.draft_body if submission else "",
                                versions=submission.version_count if submission else 0),
        "upload_form": UploadForm(), "action_form": ActionForm(),
        "can_grade": services.can_grade(user, assignment),
        "late_text": services.late_text, "human_size": storage.human_size,
        "enrolled": enrolment is not None,
    }


def _assignment_or_404(assignment_id: int):
    try:
        assignment = services.get_assignment(assignment_id)
    except NotFound:
        abort(404)
    if not courses.can_view(current_user, services.course_of(assignment)):
        abort(404)
    return assignment


def _item_url(assignment) -> str:
    return url_for("courses.item", code=assignment.item.course.code, slug=assignment.item.slug)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/<int:assignment_id>/draft", methods=["POST"])
@login_required
def save_draft(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    form = DraftForm()
    if not form.validate_on_submit():
        message = "; ".join(e for errors in form.errors.values() for e in errors) \
            or "The form expired; reload the page."
        if _wants_json():
            return jsonify(error=message), 400
        flash(message, "error")
        return redirect(_item_url(assignment))
    try:
        services.save_draft(assignment, current_user, form.body.data or "", clock.now())
    except DomainError as err:
        if _wants_json():
            return jsonify(error=str(err)), 409
        flash(str(err), "error")
        return redirect(_item_url(assignment))
    if _wants_json():
        return jsonify(saved=True)
    if form.submit.data:
        return _submit(assignment, form)
    flash("Draft saved.", "success")
    return redirect(_item_url(assignment) + "#your-work")


def _submit(assignment, form: DraftForm):
    try:
        expected = int(form.versions.data or 0)
        services.submit(assignment, current_user, expected, clock.now())
    except ValueError:
        abort(400)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(_item_url(assignment) + "#your-work")
    flash("Submitted. You can see where it stands below.", "success")
    return redirect(_item_url(assignment) + "#your-work")


@bp.route("/preview", methods=["POST"])
@login_required
def preview():
    """The response rendered by the one Markdown renderer (nothing is saved)."""
    form = DraftForm()
    if not form.validate_on_submit():
        return jsonify(error="The form expired; reload the page."), 400
    return jsonify(html=str(render(form.body.data or "")))


@bp.route("/<int:assignment_id>/files", methods=["POST"])
@login_required
def upload(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    form = UploadForm()
    if not form.validate_on_submit():
        flash("The form expired; reload the page and attach the file again.", "error")
        return redirect(_item_url(assignment) + "#your-work")
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Choose a file to attach.", "error")
        return redirect(_item_url(assignment) + "#your-work")
    try:
        attachment = services.add_attachment(assignment, current_user, file.stream,
                                             file.filename, clock.now())
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(f"Attached {attachment.filename}.", "success")
    return redirect(_item_url(assignment) + "#your-work")


@bp.route("/<int:assignment_id>/files/<int:attachment_id>/remove", methods=["POST"])
@login_required
def remove_file(assignment_id: int, attachment_id: int):
    assignment = _assignment_or_404(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.remove_attachment(assignment, current_user, attachment_id, clock.now())
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash("File removed.", "success")
    return redirect(_item_url(assignment) + "#your-work")


@bp.route("/files/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """Authorise, then hand over to the storage's download route (attachment, nosniff)."""
    try:
        attachment, how = services.attachment_for(current_user, attachment_id)
    except NotFound:
        abort(404)
    name = attachment.filename
    if how == "reviewer":
        index = request.args.get("n", 1, type=int)
        name = services.anonymous_name(attachment, index)
    return redirect(storage.url_for_download(attachment.storage_key, name, max_age=120))


# ---------------------------------------------------------------- peer review


def _review_or_404(review_id: int):
    try:
        return services.review_for(current_user, review_id)
    except NotFound:
        abort(404)


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@login_required
def review(review_id: int):
    peer_review = _review_or_404(review_id)
    assignment = peer_review.submission.assignment
    form = ReviewForm()
    chosen = levels_from(request.form, len(assignment.rubric)) if request.method == "POST" \
        else list(peer_review.levels or [])
    if form.validate_on_submit():
        try:
            services.submit_review(peer_review.id, current_user, chosen, form.strength.data,
                                   form.suggestion.data, clock.now())
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("Review sent. Thank you: the author will see it without your name.",
                  "success")
            return redirect(_item_url(assignment) + "#reviews-to-do")
    n = int(assignment.settings.get("peer_reviews") or 0)
    status = 400 if request.method == "POST" else 200
    return render_template("assignments/review.html", review=peer_review,
                           assignment=assignment, form=form, chosen=chosen, peers_needed=n,
                           body_html=render(peer_review.version.body),
                           files=peer_review.version.attachments,
                           human_size=storage.human_size), status


# ---------------------------------------------------------------- grading queue


def _queue_filter() -> services.QueueFilter:
    def number(name: str) -> int | None:
        return request.args.get(name, type=int)  # ASCII digits in the database's range

    status = request.args.get("status") or None
    return services.QueueFilter(
        course_id=number("course_id"), assignment_id=number("assignment_id"),
        cohort_id=number("cohort_id"), status=status if status in STATUSES else None,
        late=request.args.get("late") == "1", mine=request.args.get("mine") == "1",
        newest_first=request.args.get("sort") == "newest")


@bp.route("/grading")
@role_required("instructor")
def queue():
    f = _queue_filter()
    page = services.grading_queue(current_user, f, request.args.get("page", 1, type=int))
    assignments = services.gradable_assignments(current_user)
    return render_template("assignments/queue.html", page=page, f=f, assignments=assignments,
                           courses={(c.id, c.code) for _a, _i, c in assignments},
                           cohorts=cohorts.list_cohorts(), statuses=STATUSES,
                           status_labels=STATUS_LABELS, late_text=services.late_text,
                           threshold=services.similarity_threshold())


def _submission_or_404(submission_id: int):
    try:
        return services.submission_for_grader(current_user, submission_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


@bp.route("/grading/<int:submission_id>", methods=["GET", "POST"])
@role_required("instructor")
def grade(submission_id: int):
    submission = _submission_or_404(submission_id)
    assignment = submission.assignment
    f = _queue_filter()
    form = GradeForm()
    rubric = assignment.rubric
    try:
        version = services.submitted_version(submission)
    except NotFound:
        abort(404)
    grades = services.grades_for_version(version)
    mine = next((g for g in grades if g.marker_id == current_user.id), None)
    chosen = list(mine.levels) if mine else [None] * len(rubric)
    comments = list(mine.criterion_comments) if mine else [""] * len(rubric)
    status = 200
    if request.method == "POST":
        chosen = levels_from(request.form, len(rubric))
        comments = comments_from(request.form, len(rubric))
        if form.validate_on_submit():
            try:
                services.save_grade(submission, current_user, chosen, comments,
                                    form.overall.data, request.form.get("decision", ""),
                                    request.form.get("hold") == "1", clock.now())
                for text in request.form.getlist("bank"):
                    if text.strip():
                        services.add_to_bank(current_user, text, clock.now())
            except DomainError as err:
                flash(str(err), "error")
                status = 400
            else:
                flash("Grade saved.", "success")
                _prev, next_id = services.queue_neighbours(current_user, f, submission)
                target = next_id if request.form.get("then") == "next" and next_id else \
                    submission.id
                return redirect(url_for("assignments.grade", submission_id=target, **f.args()))
        else:
            status = 400
    elif mine is not None:
        form.overall.data = mine.overall_comment
    prev_id, next_id = services.queue_neighbours(current_user, f, submission)
    released = any(g.released_at for g in grades)
    visible_grades = grades if (mine is not None or released) else []
    similar = submission.similar_to
    reviews = services.reviews_of(submission)
    return render_template(
        "assignments/grade.html", submission=submission, assignment=assignment,
        version=version, versions=services.versions(submission), form=form, f=f,
        chosen=chosen, comments=comments, mine=mine, grades=visible_grades,
        hidden_marks=len(grades) - len(visible_grades), released=released,
        prev_id=prev_id, next_id=next_id, bank=services.comment_bank(current_user),
        body_html=render(version.body), flagged=services.flagged(submission), similar=similar,
        reviews=reviews, status_labels=STATUS_LABELS, late_text=services.late_text,
        human_size=storage.human_size, action_form=ActionForm(),
        max_points=rules.max_points(rubric),
        passing=services.passing_score(assignment)), status


@bp.route("/grading/<int:submission_id>/release/<int:grade_id>", methods=["POST"])
@role_required("instructor")
def release(submission_id: int, grade_id: int):
    submission = _submission_or_404(submission_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.release(submission, grade_id, current_user, clock.now())
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash("Grade released; the learner has been told.", "success")
    return redirect(url_for("assignments.grade", submission_id=submission.id,
                            **_queue_filter().args()))


@bp.route("/grading/bank/<int:entry_id>/remove", methods=["POST"])
@role_required("instructor")
def remove_bank_entry(entry_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.remove_from_bank(current_user, entry_id)
    except NotFound:
        abort(404)
    flash("Removed from your comment bank.", "success")
    return redirect(request.referrer or url_for("assignments.queue"))


def _graded_assignment_or_404(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    if not services.can_grade(current_user, assignment):
        abort(403)
    return assignment


@bp.route("/grading/assignment/<int:assignment_id>")
@role_required("instructor")
def overview(assignment_id: int):
    assignment = _graded_assignment_or_404(assignment_id)
    return render_template("assignments/overview.html", assignment=assignment,
                           kappa=services.kappa(assignment),
                           exports=services.exports(assignment), action_form=ActionForm(),
                           human_size=storage.human_size)


@bp.route("/grading/assignment/<int:assignment_id>/release-held", methods=["POST"])
@role_required("instructor")
def release_held(assignment_id: int):
    assignment = _graded_assignment_or_404(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    report = services.release_held(assignment, current_user, clock.now())
    message = f"Released {report.released} held grade(s)."
    if report.needs_choice:
        message += (f" {report.needs_choice} double-marked submission(s) wait for someone to "
                    "choose the final mark on their grade page.")
    flash(message, "success")
    return redirect(url_for("assignments.overview", assignment_id=assignment.id))


@bp.route("/grading/assignment/<int:assignment_id>/grades.csv")
@role_required("instructor")
def grades_csv(assignment_id: int):
    assignment = _graded_assignment_or_404(assignment_id)
    name = f"{assignment.item.course.code}-{assignment.item.slug}-grades.csv".replace("/", "-")
    response = Response(stream_with_context(services.grades_csv(assignment)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = storage.content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/grading/assignment/<int:assignment_id>/export", methods=["POST"])
@role_required("instructor")
def export(assignment_id: int):
    assignment = _graded_assignment_or_404(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    made = services.request_export(assignment, current_user, clock.now())
    flash("The ZIP is ready below." if made.status == "ready" else
          "The ZIP is being built in the background; reload this page in a minute.", "success")
    return redirect(url_for("assignments.overview", assignment_id=assignment.id))


@bp.route("/grading/exports/<int:export_id>")
@role_required("instructor")
def export_download(export_id: int):
    try:
        made, key = services.export_for(current_user, export_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    return redirect(storage.url_for_download(key, f"submissions-{made.id}.zip", max_age=120))
