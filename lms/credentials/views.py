"""Credential pages. The holder's own credential page and certificate downloads (the signed-in
user's own records only); the registrar's pages (role_required("registrar")): the register,
issue by hand, one credential's lifecycle and history, cohort ZIPs."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms import clock, storage
from lms.auth.access import login_required, role_required
from lms.auth.services import get_user_by_email
from lms.cohorts import services as cohorts
from lms.credentials import services
from lms.credentials.certificates import HOLDER_PATH, verify_url
from lms.credentials.forms import BundleForm, IssueForm, ReissueForm, ResendForm, StateForm
from lms.credentials.signing import SigningUnavailable
from lms.errors import DomainError, NotFound

bp = Blueprint("credentials", __name__, template_folder="templates")
REGISTRAR = "/registrar/credentials"


def _today():
    return clock.now().date()


def _apply(action, success: str) -> bool:
    try:
        action()
    except NotFound:
        abort(404)
    except (DomainError, SigningUnavailable) as err:
        flash(str(err), "error")
        return False
    flash(success, "success")
    return True


def _cohort_choices() -> list[SelectChoice]:
    return [SelectChoice(slug, name) for slug, name in cohorts.cohort_choices()]


def _credential(pk: int):
    try:
        return services.get_credential_by_pk(pk)
    except NotFound:
        abort(404)


# --------------------------------------------------------------------------- holder


@bp.route(HOLDER_PATH)
@login_required
def mine():
    page = services.holder_page(current_user, _today())
    needs = services.requirements(current_user) if page is None else []
    return render_template("credentials/mine.html", page=page, needs=needs,
                           verify=verify_url(page.credential.credential_id) if page else None)


@bp.route(f"{HOLDER_PATH}/certificates/<int:certificate_id>.pdf")
@login_required
def certificate(certificate_id: int):
    """The holder's certificate (current or superseded), or any for a registrar."""
    page = services.holder_page(current_user, _today())
    try:
        if page is None:
            raise NotFound("No such certificate.")
        found = services.get_certificate(page.credential, certificate_id)
    except NotFound:
        abort(404)
    return redirect(storage.url_for_download(found.storage_key,
                                             services.certificate_filename(page.credential)))


# --------------------------------------------------------------------------- registrar


@bp.route(REGISTRAR)
@role_required("registrar")
def register():
    bundle_form = BundleForm()
    bundle_form.cohort.choices = _cohort_choices()
    return render_template("credentials/register.html",
                           rows=services.registrar_list(_today()), form=IssueForm(),
                           bundle_form=bundle_form, bundles=services.bundles_of(current_user),
                           signing_problem=services.signing_problem())


@bp.route(f"{REGISTRAR}/issue", methods=["POST"])
@role_required("registrar")
def issue():
    form = IssueForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
        return redirect(url_for("credentials.register"))
    user = get_user_by_email(form.email.data or "")
    if user is None:
        flash(f"No account for {form.email.data}.", "error")
        return redirect(url_for("credentials.register"))
    made = []
    if _apply(lambda: made.append(services.issue(user, form.issued_on.data or _today(),
                                                 form.reason.data or "", current_user,
                                                 clock.now())),
              f"Credential issued to {user.email}."):
        return redirect(url_for("credentials.detail", credential_pk=made[0].id))
    return redirect(url_for("credentials.register"))


@bp.route(f"{REGISTRAR}/<int:credential_pk>")
@role_required("registrar")
def detail(credential_pk: int):
    credential = _credential(credential_pk)
    return render_template("credentials/detail.html", credential=credential,
                           standing=services.standing(credential, _today()),
                           events=services.events(credential),
                           certificates=services.certificates(credential),
                           form=StateForm(), resend_form=ResendForm(),
                           reissue_form=ReissueForm(),
                           verify=verify_url(credential.credential_id))


@bp.route(f"{REGISTRAR}/<int:credential_pk>/state", methods=["POST"])
@role_required("registrar")
def change_state(credential_pk: int):
    credential = _credential(credential_pk)
    form = StateForm()
    if not form.validate_on_submit():
        flash("Choose an action and give a reason.", "error")
    else:
        _apply(lambda: services.change_state(credential, form.action.data or "",
                                             form.reason.data or "", current_user, clock.now()),
               "Done: the change is in the history below.")
    return redirect(url_for("credentials.detail", credential_pk=credential_pk))


@bp.route(f"{REGISTRAR}/<int:credential_pk>/resend", methods=["POST"])
@role_required("registrar")
def resend(credential_pk: int):
    credential = _credential(credential_pk)
    if ResendForm().validate_on_submit():
        _apply(lambda: services.resend_certificate(credential, current_user, clock.now()),
               "The certificate e-mail is on its way.")
    return redirect(url_for("credentials.detail", credential_pk=credential_pk))


@bp.route(f"{REGISTRAR}/<int:credential_pk>/reissue", methods=["POST"])
@role_required("registrar")
def reissue(credential_pk: int):
    credential = _credential(credential_pk)
    if ReissueForm().validate_on_submit():
        _apply(lambda: services.reissue(credential, clock.now()),
               "A new certificate was made; the previous one is listed as superseded.")
    return redirect(url_for("credentials.detail", credential_pk=credential_pk))


@bp.route(f"{REGISTRAR}/<int:credential_pk>/certificates/<int:certificate_id>.pdf")
@role_required("registrar")
def registrar_certificate(credential_pk: int, certificate_id: int):
    credential = _credential(credential_pk)
    try:
        found = services.get_certificate(credential, certificate_id)
    except NotFound:
        abort(404)
    return redirect(storage.url_for_download(found.storage_key,
                                             services.certificate_filename(credential)))


@bp.route(f"{REGISTRAR}/bundles", methods=["POST"])
@role_required("registrar")
def bundle():
    form = BundleForm()
    form.cohort.choices = _cohort_choices()
    if not form.validate_on_submit():
        flash("Choose a cohort.", "error")
        return redirect(url_for("credentials.register"))
    try:
        cohort = cohorts.get_cohort(form.cohort.data or "")
    except NotFound:
        abort(404)
    _apply(lambda: services.request_bundle(cohort, current_user, clock.now()),
           f"The ZIP of {cohort.name}'s certificates is being prepared: download it below "
           f"when it is ready.")
    return redirect(url_for("credentials.register") + "#bundles")


@bp.route(f"{REGISTRAR}/bundles/<int:bundle_id>.zip")
@role_required("registrar")
def bundle_download(bundle_id: int):
    try:
        found = services.get_bundle(bundle_id, current_user)
    except NotFound:
        abort(404)
    if found.status != "ready" or not found.storage_key:
        abort(404, description="This ZIP is not ready yet; reload the page in a moment.")
    return redirect(storage.url_for_download(found.storage_key,
                                             services.bundle_filename(found.cohort)))
