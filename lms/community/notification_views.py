"""Notification pages: the list (mark read / all read), the digest setting, and the
unsubscribe link from the e-mail (works without signing in; GET asks, POST acts). The bell's
count reaches every page through a context processor (one query plus the visibility check,
and only when a template asks for it)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from lms import clock
from lms.auth.access import login_required
from lms.community import notifications as service
from lms.errors import DomainError, NotFound

bp = Blueprint("notifications", __name__, template_folder="templates")


class ActionForm(FlaskForm):
    submit = SubmitField("Confirm")


class DigestForm(FlaskForm):
    digest = RadioField("E-mail digest", choices=list(service.DIGEST_CHOICES.items()),
                        validators=[InputRequired(message="Choose how often, or no e-mail.")],
                        description="A summary of your unread notifications from the boards "
                                    "you can see; never the same item twice.")
    submit = SubmitField("Save")


@bp.app_context_processor
def bell():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:  # once per request, however many times asked
            g.unread_notifications = service.unread_count(current_user.id)
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
@login_required
def index():
    page = request.args.get("page", 1, type=int)
    pagination, shown, hidden = service.page_for(current_user.id, max(page, 1))
    return render_template("community/notifications.html", pagination=pagination, items=shown,
                           hidden=hidden, kinds=service.KINDS, form=ActionForm())


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    try:
        target = service.open_notification(current_user.id, notification_id, clock.now())
    except NotFound:
        abort(404)
    return redirect(target or url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    if ActionForm().validate_on_submit():
        n = service.mark_all_read(current_user.id, clock.now())
        flash(f"Marked {n} notification{'' if n == 1 else 's'} as read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = DigestForm()
    if not form.is_submitted():
        form.digest.data = service.digest_choice(current_user.id)
    if form.validate_on_submit():
        try:
            service.set_digest(current_user.id, form.digest.data)
        except DomainError as err:
            form.digest.errors = [*form.digest.errors, str(err)]
        else:
            flash("Your e-mail digest setting is saved.", "success")
            return redirect(url_for("notifications.settings"))
    return render_template("community/notifications_settings.html", form=form)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """From the digest e-mail: no sign-in. GET shows what will happen; POST does it."""
    try:
        user = service.user_for_unsubscribe(token)
    except NotFound as err:
        return render_template("community/notifications_unsubscribe.html", problem=str(err),
                               done=False, form=None), 404
    form = ActionForm()
    if request.method == "POST":
        if form.validate_on_submit():
            service.unsubscribe(token)
            return render_template("community/notifications_unsubscribe.html", problem=None,
                                   done=True, form=None, name=user.name)
        abort(400)
    return render_template("community/notifications_unsubscribe.html", problem=None,
                           done=False, form=form, name=user.name,
                           already=service.digest_choice(user.id) == "off")
