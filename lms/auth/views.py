"""Sign-in, registration, confirmation, password reset and profile pages."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from lms import clock
from lms.auth import services
from lms.auth.access import login_required
from lms.auth.forms import (
    ChangePasswordForm,
    EmailForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    SignInForm,
)
from lms.errors import DomainError
from lms.extensions import limiter

bp = Blueprint("auth", __name__, template_folder="templates")


def _signin_limit() -> str:
    return current_app.config["SIGNIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_RATE_LIMIT"]


def _register_form_limit() -> str:
    return current_app.config["REGISTER_FORM_RATE_LIMIT"]


def _register_address_limit() -> str:
    return current_app.config["REGISTER_ADDRESS_RATE_LIMIT"]


def _register_create_limit() -> str:
    return current_app.config["REGISTER_CREATE_RATE_LIMIT"]


def _submitted_address() -> str:
    """Rate-limit key: the e-mail address typed into the form (trimmed, lower-cased); with none
    typed, the client's address (blank forms from everyone must not share one count)."""
    typed = request.form.get("email", "").strip().lower()[:254]
    return "register-address:" + (typed or "client:" + get_remote_address())


def _refused(response) -> bool:
    return response.status_code == 422


def _created(response) -> bool:
    return response.status_code == 302


def _safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else the dashboard.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" and
    "/\\t/evil.example" would leave the site: such targets are refused too.
    """
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable()
            and not urlsplit(target).netloc):
        return target
    return url_for("main.dashboard")


@bp.route("/register", methods=["GET", "POST"])
# Someone fixing typos gets many tries (refused forms are counted per client and, separately,
# per address); creating accounts is limited strictly (successful submissions per client).
@limiter.limit(_register_form_limit, methods=["POST"], deduct_when=_refused)
@limiter.limit(_register_address_limit, methods=["POST"], key_func=_submitted_address,
               deduct_when=_refused)
@limiter.limit(_register_create_limit, methods=["POST"], deduct_when=_created)
def register():
    form = RegisterForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            # The answer is the same whether or not the address already has an account (its
            # owner gets an e-mail instead): the page must not tell who is registered.
            services.register(services.Registration(form.name.data, form.email.data,
                                                    form.password.data), clock.now())
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("Thank you. We have sent an e-mail to that address: open its link to confirm "
                  "it, then sign in.", "success")
            return redirect(url_for("auth.signin"))
    return render_template("auth/register.html", form=form), status


@bp.route("/confirm/<token>")
def confirm(token: str):
    try:
        services.confirm_email(token, clock.now())
    except DomainError as err:
        flash(str(err), "error")
        return render_template("auth/message.html", title="Confirmation failed"), 400
    flash("Thank you: your e-mail address is confirmed. You can sign in now.", "success")
    return redirect(url_for("auth.signin"))


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.sign_in(form.email.data, form.password.data, clock.now(),
                                    remember=form.remember.data)
        except services.AccountLocked as err:
            flash(str(err), "error")
            status = 429
        except services.UnconfirmedEmail as err:
            services.resend_confirmation(form.email.data, clock.now())
            flash(str(err), "error")
            status = 403
        except DomainError as err:
            flash(str(err), "error")
            status = 401
        else:
            login_user(user, remember=form.remember.data)
            flash("You are signed in.", "success")  # the dashboard greets (issue 7)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/signin.html", form=form), status


@bp.route("/signout", methods=["POST"])
def signout():
    if current_user.is_authenticated:
        services.end_session(current_user)  # the cookies this browser holds stop working
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("main.index"))


@bp.route("/signout-everywhere", methods=["POST"])
@login_required
def signout_everywhere():
    services.end_all_sessions(current_user)
    logout_user()
    flash("You are signed out on every device, including any that kept you signed in.",
          "success")
    return redirect(url_for("auth.signin"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, clock.now())
        flash("If an account exists for that address, we have sent it a link to reset the "
              "password.", "success")
        return redirect(url_for("auth.signin"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except DomainError as err:
        flash(str(err), "error")
        return render_template("auth/message.html", title="Reset link not valid",
                               retry=url_for("auth.forgot_password")), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data, clock.now())
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("Your password has been changed. Sign in with the new one.", "success")
            return redirect(url_for("auth.signin"))
    return render_template("auth/reset.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, focus_choices=services.focus_area_choices())
    if form.validate_on_submit():
        changes = {f: getattr(form, f).data for f in services.PROFILE_FIELDS}
        try:
            services.update_profile(current_user, changes)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_account_limit, methods=["POST"])  # the current password must not be guessable
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("Password changed. You are signed out on your other devices.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)
