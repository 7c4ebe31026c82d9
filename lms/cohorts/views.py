"""Staff pages for cohorts (registrars and admins)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from lms import clock
from lms.auth.access import role_required
from lms.cohorts import services
from lms.cohorts.forms import AddMembersForm, CohortForm, ConfirmForm
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
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(form.name.data, form.description.data,
                                            actor=current_user, now=clock.now())
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
    form = CohortForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_cohort(item, form.name.data, form.description.data)
        except DomainError as err:
            form.name.errors.append(str(err))
        else:
            flash("Cohort saved.", "success")
            return redirect(url_for("cohorts.cohort", slug=item.slug))
    return _detail(item, form=form, add_form=AddMembersForm(prefix="add"))


def _detail(item, *, form, add_form, status=200):
    return render_template("cohorts/cohort.html", cohort=item, form=form, add_form=add_form,
                           members=services.members(item), confirm_form=ConfirmForm()), status


@bp.route("/admin/cohorts/<slug>/members", methods=["POST"])
@role_required("registrar")
def add_members(slug: str):
    item = _cohort_or_404(slug)
    add_form = AddMembersForm(prefix="add")
    if add_form.validate_on_submit():
        try:
            added, already = services.add_members(item, add_form.emails.data, now=clock.now())
        except DomainError as err:
            add_form.emails.errors.append(str(err))
        else:
            message = f"Added {len(added)} {'person' if len(added) == 1 else 'people'}."
            if already:
                message += " Already members: " + ", ".join(u.name for u in already) + "."
            flash(message, "success")
            return redirect(url_for("cohorts.cohort", slug=item.slug))
    return _detail(item, form=CohortForm(obj=item), add_form=add_form, status=400)


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
