"""Catalogue, course pages, lessons, enrolment and progress, in-browser authoring."""
from __future__ import annotations

import io
import posixpath
from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from lms import clock
from lms.auth.access import login_required, role_required
from lms.courses import kinds, services
from lms.courses.course_meta import LEVELS
from lms.courses.forms import ActionForm, EditItemForm
from lms.errors import Conflict, DomainError, NotFound, PermissionDenied
from lms.markdown import render_document
from lms.text import whole_number

bp = Blueprint("courses", __name__, template_folder="templates")
bp.add_app_template_global(kinds.label, "item_kind_label")


def _course_or_404(code: str):
    try:
        return services.get_course(code, current_user)
    except NotFound:
        abort(404)


def _item_or_404(course, slug: str):
    try:
        return services.get_item(course, slug, current_user)
    except NotFound:
        abort(404)


def _editable_or_403(code: str, slug: str | None = None):
    """Load a course (and item) the current user may author, or 404/403."""
    course = _course_or_404(code)
    if not services.can_edit(current_user, course):
        abort(403)
    return course, (_item_or_404(course, slug) if slug else None)


def asset_base(course) -> str:
    return url_for("courses.asset", code=course.code, path="")


@bp.route("/courses")
def catalogue():
    q = request.args.get("q", "").strip()[:100]
    category = request.args.get("category") or None
    level = request.args.get("level") or None
    categories = services.category_names()
    if category not in categories:
        category = None
    if level not in LEVELS:
        level = None
    page = request.args.get("page", 1, type=int) or 1
    found = services.catalogue(current_user, q=q, category=category, level=level, page=page)
    return render_template("courses/catalogue.html", entries=found.entries, found=found, q=q,
                           category=category, level=level, categories=categories,
                           levels=LEVELS)


@bp.route("/courses/<code>")
def course(code: str):
    course = _course_or_404(code)
    enrolment, prog = services.enrolment_progress(current_user, course)
    return render_template(
        "courses/course.html", course=course, enrolment=enrolment, progress=prog,
        outline=services.outline(course, prog.done_ids, services.can_edit(current_user, course)),
        continue_item=services.continue_item(enrolment, course),
        prerequisites=services.prerequisite_status(current_user, course),
        overview=render_document(course.overview, link_base=asset_base(course), heading_offset=1),
        can_edit=services.can_edit(current_user, course),
        categories=services.category_names(), form=ActionForm())


@bp.route("/courses/<code>/enrol", methods=["POST"])
@login_required
def enrol(code: str):
    course = _course_or_404(code)
    if ActionForm().validate_on_submit():
        try:
            services.enrol(current_user, course, clock.now())
        except DomainError as err:
            flash(str(err), "error")
            return redirect(url_for("courses.course", code=code))
        flash(f"You are enrolled in {course.title}.", "success")
    return redirect(url_for("courses.course", code=code))


@bp.route("/courses/<code>/items/<path:slug>")
@login_required
def item(code: str, slug: str):
    course = _course_or_404(code)
    it = _item_or_404(course, slug)
    enrolment, prog = services.enrolment_progress(current_user, course)
    staff_preview = enrolment is None and services.can_edit(current_user, course)
    if enrolment is None and not staff_preview:
        flash("Enrol in this course to open its lessons.", "info")
        return redirect(url_for("courses.course", code=code))
    if enrolment is not None:
        services.record_visit(enrolment, it, clock.now())
    staff = services.can_edit(current_user, course)
    prev_item, next_item = services.neighbours(course, it, staff)
    doc = render_document(it.body, link_base=asset_base(course),
                          doc_dir=posixpath.dirname(it.source_path))
    context = dict(course=course, item=it, enrolment=enrolment, progress=prog, doc=doc,
                   prev_item=prev_item, next_item=next_item, staff_preview=staff_preview,
                   done=it.id in prog.done_ids, can_edit=staff,
                   outline=services.outline(course, prog.done_ids, staff), form=ActionForm())
    extra = kinds.context_for(it, enrolment, current_user)
    if extra is not None:
        context.update(extra)
    return render_template(kinds.template_for(it.kind), **context)


@bp.route("/courses/<code>/items/<path:slug>/complete", methods=["POST"])
@login_required
def complete(code: str, slug: str):
    course = _course_or_404(code)
    it = _item_or_404(course, slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        enrolment = services.require_enrolment(current_user, course)
        finished = services.complete_lesson(enrolment, it, clock.now())
    except PermissionDenied as err:
        flash(str(err), "error")
        return redirect(url_for("courses.course", code=code))
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for("courses.item", code=code, slug=slug))
    if finished:
        flash(f"Congratulations: you have completed {course.title}!", "success")
        return redirect(url_for("courses.course", code=code))
    _, next_item = services.neighbours(course, it)
    flash(f"“{it.title}” marked complete.", "success")
    if next_item is not None:
        return redirect(url_for("courses.item", code=code, slug=next_item.slug))
    return redirect(url_for("courses.course", code=code))


@bp.route("/courses/<code>/assets/<path:path>")
def asset(code: str, path: str):
    course = _course_or_404(code)
    try:
        found = services.get_asset(course, path)
    except NotFound:
        abort(404)
    response = Response(found.content, mimetype=found.mimetype)
    # Course files are served inert: an SVG or HTML asset can never run script on our origin.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    # An unpublished course's files are for its staff: no shared cache may keep them.
    scope = "public" if course.published else "private"
    response.headers["Cache-Control"] = f"{scope}, max-age=3600"
    response.headers["ETag"] = found.content_hash
    if not found.mimetype.startswith("image/"):
        response.headers["Content-Disposition"] = f'attachment; filename="{Path(path).name}"'
    return response


# ---------------------------------------------------------------- teaching and authoring


def _unless_an_item(action: str):
    """Serve the item whose slug is `<slug>/<action>` (e.g. a module's lesson 03-history.md).

    Its URL, /courses/<code>/items/<module>/history, is also the URL of the `action` page of
    <module>; an existing item wins, so learners can open it (GET only).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(code: str, slug: str, **kwargs):
            if request.method == "GET" and not kwargs:
                full = f"{slug}/{action}"
                if services.active_item_at(code, full):
                    return item(code=code, slug=full)
            return view(code=code, slug=slug, **kwargs)

        return wrapped

    return decorator


@bp.route("/teaching")
@role_required("instructor")
def teaching():
    return render_template("courses/teaching.html",
                           courses=services.teaching_courses(current_user))


@bp.route("/courses/<code>/items/<path:slug>/edit", methods=["GET", "POST"])
@_unless_an_item("edit")
@role_required("instructor")
def edit_item(code: str, slug: str):
    """The editor: publish a revision, save or discard a draft (instructors preview drafts)."""
    course, it = _editable_or_403(code, slug)
    draft = services.get_draft(it)
    start = draft.source if draft is not None else it.source
    form = EditItemForm(source=start, base_revision=str(it.revision),
                        note=draft.note if draft is not None else "")
    problems: list[tuple[int, str]] = []
    if form.validate_on_submit():
        if form.discard.data:
            flash("Draft discarded." if services.discard_draft(it) else "There is no draft.",
                  "success")
            return redirect(url_for("courses.edit_item", code=code, slug=slug))
        base = form.base_revision.data
        base_revision = whole_number(base)
        try:
            if form.save_draft.data:
                services.save_draft(it, form.source.data, current_user, clock.now(),
                                    note=form.note.data or "", base_revision=base_revision)
                flash("Draft saved: learners still see revision "
                      f"{it.revision} until you publish.", "success")
                return redirect(url_for("courses.edit_item", code=code, slug=slug))
            rev = services.publish_source(it, form.source.data, current_user, clock.now(),
                                          note=form.note.data or "",
                                          base_revision=base_revision)
        except Conflict as err:
            flash(str(err), "error")
            form.base_revision.data = str(it.revision)
        except services.SourceProblems as err:
            problems = err.problems
            flash("The Markdown has problems; nothing was saved. Fix the lines listed "
                  "beside the editor.", "error")
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("No changes to save." if rev is None else
                  f"Saved as revision {rev.number}. Published: learners see it now.",
                  "info" if rev is None else "success")
            return redirect(url_for("courses.edit_item", code=code, slug=slug))
    preview = render_document(form.source.data or "", link_base=asset_base(course),
                              doc_dir=posixpath.dirname(it.source_path), file=True)
    return render_template("courses/edit.html", course=course, item=it, form=form,
                           preview=preview, problems=problems, draft=services.get_draft(it))


@bp.route("/courses/<code>/items/<path:slug>/draft")
@_unless_an_item("draft")
@role_required("instructor")
def draft(code: str, slug: str):
    """The item's draft as learners will read it once published (its instructors only)."""
    course, it = _editable_or_403(code, slug)
    found = services.get_draft(it)
    if found is None:
        flash("This item has no draft.", "info")
        return redirect(url_for("courses.edit_item", code=code, slug=slug))
    body, problems = services.draft_preview(it, found)
    doc = render_document(body, link_base=asset_base(course),
                          doc_dir=posixpath.dirname(it.source_path))
    return render_template("courses/draft.html", course=course, item=it, draft=found, doc=doc,
                           problems=problems)


@bp.route("/courses/<code>/preview", methods=["POST"])
@role_required("instructor")
def preview(code: str):
    course, _ = _editable_or_403(code)
    source = request.form.get("source", "")[:500_000]
    doc = render_document(source, link_base=asset_base(course), file=True)  # the whole file
    return jsonify({"html": str(doc.html)})


@bp.route("/courses/<code>/items/<path:slug>/history")
@_unless_an_item("history")
@role_required("instructor")
def history(code: str, slug: str):
    course, it = _editable_or_403(code, slug)
    return render_template("courses/history.html", course=course, item=it,
                           revisions=services.item_history(it), form=ActionForm())


@bp.route("/courses/<code>/items/<path:slug>/revisions/<int:number>")
@role_required("instructor")
def revision(code: str, slug: str, number: int):
    course, it = _editable_or_403(code, slug)
    try:
        rev = services.get_revision(it, number)
        diff = services.revision_diff(it, number)
    except NotFound:
        abort(404)
    return render_template("courses/revision.html", course=course, item=it, rev=rev, diff=diff,
                           form=ActionForm())


@bp.route("/courses/<code>/items/<path:slug>/revisions/<int:number>/restore", methods=["POST"])
@role_required("instructor")
def restore(code: str, slug: str, number: int):
    course, it = _editable_or_403(code, slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rev = services.restore_revision(it, number, current_user, clock.now())
    except NotFound:
        abort(404)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for("courses.history", code=code, slug=slug))
    flash("That revision is already the current text." if rev is None else
          f"Revision {number} restored as revision {rev.number}.", "success")
    return redirect(url_for("courses.history", code=code, slug=slug))


@bp.route("/courses/<code>/export.zip")
@role_required("instructor")
def export(code: str):
    course, _ = _editable_or_403(code)
    response = send_file(io.BytesIO(services.export_zip(course)), mimetype="application/zip",
                         as_attachment=True, download_name=f"{course.dirname}.zip")
    # the course's source, drafts included, is its staff's: never kept by a shared cache
    response.headers["Cache-Control"] = "private, no-store"
    return response
