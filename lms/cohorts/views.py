"""Staff pages for cohorts (registrars and admins)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms import clock
from lms.auth.access import login_required, role_required
from lms.cohorts import services
from lms.cohorts.forms import AddMembersForm, CohortForm, ConfirmForm, InviteForm
from lms.errors import DomainError, NotFound

bp = Blueprint("cohorts", __name__, template_folder="templates")


def _cohort_or_404(slug: str):
    try:
        return services.get_cohort(slug)
    except NotFound:
        abort(404)


@bp.route("/admin/cohorts", methods=["GET", "POST"])
@role_required("registrar")
def cohorts():
    form = CohortForm(courses=services.course_choices())
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(form.name.data, form.description.data,
                                            actor=current_user, now=clock.now(),
                                            details=_details(form))
        except DomainError as err:
            form.name.errors.append(str(err))
        else:
            flash(f"Cohort \u201c{cohort.name}\u201d created. Now add its members.", "success")
            return redirect(url_for("cohorts.cohort", slug=cohort.slug))
    return render_template("cohorts/cohorts.html", cohorts=services.list_cohorts(), form=form)


@bp.route("/admin/cohorts/<slug>", methods=["GET", "POST"])
@role_required("registrar")
def cohort(slug: str):
    item = _cohort_or_404(slug)
    form = CohortForm(obj=item, courses=services.course_choices())
    if form.validate_on_submit():
        try:
            services.update_cohort(item, form.name.data, form.description.data, _details(form))
        except DomainError as err:
            form.name.errors.append(str(err))
        else:
            flash("Cohort saved.", "success")
            return redirect(url_for("cohorts.cohort", slug=item.slug))
    return _detail(item, form=form, add_form=AddMembersForm(prefix="add"))


def _details(form: CohortForm) -> services.CohortDetails:
    return services.CohortDetails(course_id=form.chosen_course_id, region=form.region.data or "",
                                  starts_on=form.starts_on.data, ends_on=form.ends_on.data)


def _detail(item, *, form, add_form, invite_form=None, status=200):
    labels = services.course_labels({item.course_id} if item.course_id else set())
    return render_template("cohorts/cohort.html", cohort=item, form=form, add_form=add_form,
                           members=services.members(item), confirm_form=ConfirmForm(),
                           invite_form=invite_form or InviteForm(prefix="invite"),
                           invites=services.invites(item), now=clock.now(),
                           course_label=labels.get(item.course_id or 0)), status


@bp.route("/admin/cohorts/<slug>/members", methods=["POST"])
@role_required("registrar")
def add_members(slug: str):
    item = _cohort_or_404(slug)
    add_form = AddMembersForm(prefix="add")
    if add_form.validate_on_submit():
        try:
            added, already = services.add_members(
                item, add_form.emails.data, now=clock.now(),
                role="facilitator" if add_form.facilitators.data else "member")
        except DomainError as err:
            add_form.emails.errors.append(str(err))
        else:
            message = f"Added {len(added)} {'person' if len(added) == 1 else 'people'}."
            if already:
                message += " Already members: " + ", ".join(u.name for u in already) + "."
            flash(message, "success")
            return redirect(url_for("cohorts.cohort", slug=item.slug))
    return _detail(item, form=CohortForm(obj=item, courses=services.course_choices()),
                   add_form=add_form, status=400)


@bp.route("/admin/cohorts/<slug>/members/<int:user_id>/remove", methods=["POST"])
@role_required("registrar")
def remove_member(slug: str, user_id: int):
    item = _cohort_or_404(slug)
    if ConfirmForm().validate_on_submit():
        try:
            user = services.remove_member(item, user_id)
        except NotFound:
            abort(404)
        flash(f"{user.name} was removed from the cohort.", "success")
    return redirect(url_for("cohorts.cohort", slug=item.slug))


@bp.route("/admin/cohorts/<slug>/delete", methods=["POST"])
@role_required("registrar")
def delete(slug: str):
    item = _cohort_or_404(slug)
    if ConfirmForm().validate_on_submit():
        name = item.name
        services.delete_cohort(item)
        flash(f"Cohort \u201c{name}\u201d deleted. Its members' accounts and work are unchanged.",
              "success")
        return redirect(url_for("cohorts.cohorts"))
    return redirect(url_for("cohorts.cohort", slug=item.slug))


@bp.route("/admin/cohorts/<slug>/members/<int:user_id>/role", methods=["POST"])
@role_required("registrar")
def set_role(slug: str, user_id: int):
    item = _cohort_or_404(slug)
    if ConfirmForm().validate_on_submit():
        role = request.form.get("role", "")
        try:
            member = services.set_role(item, user_id, role)
        except NotFound:
            abort(404)
        except DomainError as err:
            flash(str(err), "error")
        else:
            what = "a facilitator" if member.is_facilitator else "a member"
            flash(f"{member.user.name} is now {what} of the cohort.", "success")
    return redirect(url_for("cohorts.cohort", slug=item.slug))


@bp.route("/admin/cohorts/<slug>/invites", methods=["POST"])
@role_required("registrar")
def create_invite(slug: str):
    item = _cohort_or_404(slug)
    invite_form = InviteForm(prefix="invite")
    if invite_form.validate_on_submit():
        try:
            invite = services.create_invite(item, actor=current_user, now=clock.now(),
                                            days=invite_form.days.data)
        except DomainError as err:
            invite_form.days.errors.append(str(err))
        else:
            flash(f"Invitation link created; it is open until {invite.expires_at:%d %b %Y}.",
                  "success")
            return redirect(url_for("cohorts.cohort", slug=item.slug) + "#invites-heading")
    return _detail(item, form=CohortForm(obj=item, courses=services.course_choices()),
                   add_form=AddMembersForm(prefix="add"), invite_form=invite_form, status=400)


@bp.route("/admin/cohorts/<slug>/invites/<int:invite_id>/revoke", methods=["POST"])
@role_required("registrar")
def revoke_invite(slug: str, invite_id: int):
    item = _cohort_or_404(slug)
    if ConfirmForm().validate_on_submit():
        try:
            services.revoke_invite(item, invite_id, clock.now())
        except NotFound:
            abort(404)
        flash("The invitation link was withdrawn; it no longer lets anyone join.", "success")
    return redirect(url_for("cohorts.cohort", slug=item.slug) + "#invites-heading")


# ---------------------------------------------------------------- joining by link


@bp.route("/cohorts/join/<token>")
def join(token: str):
    """What the link leads to: who invites you to what, or why the link no longer works.
    Joining itself is the POST (no write on GET) and needs a signed-in account."""
    try:
        invite = services.get_invite(token)
        services.check_invite_open(invite, clock.now())
    except services.InviteClosed as err:
        return render_template("cohorts/join.html", problem=str(err), invite=None), 410
    except NotFound as err:
        return render_template("cohorts/join.html", problem=str(err), invite=None), 404
    already = (current_user.is_authenticated
               and invite.cohort_id in services.member_cohort_ids(current_user.id))
    return render_template("cohorts/join.html", problem=None, invite=invite, already=already,
                           confirm_form=ConfirmForm(),
                           course_label=services.course_labels(
                               {invite.cohort.course_id} if invite.cohort.course_id else set()
                           ).get(invite.cohort.course_id or 0))


@bp.route("/cohorts/join/<token>", methods=["POST"])
@login_required
def join_post(token: str):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("cohorts.join", token=token))
    try:
        cohort, joined = services.join_by_invite(token, current_user, clock.now())
    except services.InviteClosed as err:
        return render_template("cohorts/join.html", problem=str(err), invite=None), 410
    except NotFound as err:
        return render_template("cohorts/join.html", problem=str(err), invite=None), 404
    flash(f"You joined \u201c{cohort.name}\u201d." if joined
          else f"You are already in \u201c{cohort.name}\u201d.", "success")
    return redirect(url_for("main.dashboard") + "#cohorts-heading")
