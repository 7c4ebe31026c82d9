"""Staff pages: users and roles, the e-mail outbox."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms import mail
from lms.admin.forms import ActiveForm, RoleForm
from lms.auth import services as accounts
from lms.auth.access import role_required
from lms.auth.models import ROLE_LABELS
from lms.errors import DomainError, NotFound
from lms.quizzes import services as quizzes

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.route("/")
@role_required("registrar")
def index():
    return render_template("admin/index.html", exams=quizzes.exam_quizzes())


@bp.route("/users")
@role_required("admin")
def users():
    q = request.args.get("q", "").strip()
    role = request.args.get("role") or None
    if role not in ROLE_LABELS:
        role = None
    page = request.args.get("page", 1, type=int)
    pagination = accounts.find_users(q, role, page=page)
    return render_template("admin/users.html", pagination=pagination, q=q, role=role,
                           roles=ROLE_LABELS)


def _load_user(user_id: int):
    try:
        return accounts.get_user(user_id)
    except NotFound:
        abort(404)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_detail(user_id: int):
    user = _load_user(user_id)
    form = RoleForm(role=user.role)
    if form.validate_on_submit():
        try:
            accounts.set_role(user, form.role.data, actor=current_user)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash(f"{user.name} is now {user.role_label}.", "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user.html", user=user, form=form, active_form=ActiveForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def user_active(user_id: int):
    user = _load_user(user_id)
    form = ActiveForm()
    if form.validate_on_submit():
        activate = request.form.get("active") == "1"
        try:
            accounts.set_active(user, activate, actor=current_user)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash(f"{user.name}'s account is {'active' if activate else 'deactivated'}.",
                  "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/outbox")
@role_required("admin")
def outbox():
    page = request.args.get("page", 1, type=int)
    return render_template("admin/outbox.html", pagination=mail.outbox_page(page))
