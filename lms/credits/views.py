"""CE pages: the holder's CE page and downloads; the registrar's programme view, approval and
audit queues, roster upload, ledger corrections. Authorisation: holder pages act on the
signed-in user's own record only (services refuse another holder's activity or audit);
registrar pages are guarded by `role_required("registrar")`."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms import clock, storage
from lms.auth.access import login_required, role_required
from lms.auth.services import get_user
from lms.credits import documents, rules
from lms.credits import services as ce
from lms.credits.forms import (
    ActivityForm,
    AnswerForm,
    AuditDecisionForm,
    AuditForm,
    CorrectionForm,
    DecisionForm,
    ReinstateForm,
    RenewForm,
    RosterForm,
)
from lms.errors import DomainError, NotFound, PermissionDenied

bp = Blueprint("credits", __name__, template_folder="templates")

STATES = [s.value for s in rules.State]


def _today():
    return clock.now().date()


def _upload(field):
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None, ""
    return data.stream, data.filename


def _record():
    record = ce.load_record(current_user, _today())
    if record.holder is None:
        abort(404, description="You do not hold the credential yet, so you have no CE cycle. "
                               "Your completed courses are recorded and will count.")
    return record


def _activity_form(programme):
    form = ActivityForm()
    form.category.choices = [SelectChoice(k, c.name) for k, c in programme.categories.items()]
    form.activity_type.choices = [SelectChoice(k, t.name)
                                  for k, t in programme.activity_types.items() if t.self_reported]
    return form


# --------------------------------------------------------------------------- holder


@bp.route("/ce")
@login_required
def my_ce():
    record = ce.load_record(current_user, _today())
    if record.holder is None:
        return render_template("credits/not_holder.html", record=record)
    return render_template("credits/my_ce.html", record=record, status=record.status,
                           chart=documents.chart_svg(record.status, record.today),
                           rows=documents.transcript_rows(record),
                           renew_form=RenewForm(), answer_form=AnswerForm(),
                           audit_form=AuditForm())


@bp.route("/ce/report", methods=["GET", "POST"])
@login_required
def report():
    record = _record()
    form = _activity_form(record.programme)
    if form.validate_on_submit():
        stream, name = _upload(form.evidence)
        data = ce.ActivityInput(form.title.data, form.provider.data, form.completed_on.data,
                                form.hours.data, form.category.data, form.activity_type.data,
                                form.description.data or "", form.link.data or "")
        try:
            ce.report_activity(current_user, data, stream, name, _today(), clock.now())
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("Activity sent: a registrar will review it.", "success")
            return redirect(url_for("credits.my_ce"))
    return render_template("credits/report.html", form=form, record=record)


@bp.route("/ce/activities/<int:activity_id>/answer", methods=["POST"])
@login_required
def answer(activity_id: int):
    form = AnswerForm()
    activity = _get(ce.get_activity, activity_id)
    if not form.validate_on_submit():
        flash("Write your answer.", "error")
        return redirect(url_for("credits.my_ce"))
    stream, name = _upload(form.evidence)
    _apply(lambda: ce.answer_activity(activity, current_user, form.answer.data, stream, name,
                                      clock.now()), "Answer sent: the activity is back with "
                                                    "the registrar.")
    return redirect(url_for("credits.my_ce"))


@bp.route("/ce/renew", methods=["POST"])
@login_required
def renew():
    form = RenewForm()
    if form.validate_on_submit():
        _apply(lambda: ce.renew(current_user, bool(form.attest.data), _today(), clock.now()),
               "Renewal recorded.")
    return redirect(url_for("credits.my_ce"))


@bp.route("/ce/audits/<int:audit_id>", methods=["POST"])
@login_required
def audit_evidence(audit_id: int):
    form = AuditForm()
    audit = _get(ce.get_audit, audit_id)
    if form.validate_on_submit():
        stream, name = _upload(form.evidence)
        _apply(lambda: ce.submit_audit_evidence(audit, current_user, stream, name,
                                                form.note.data or "", clock.now()),
               "Evidence uploaded: a registrar will review it.")
    return redirect(url_for("credits.my_ce"))


@bp.route("/ce/activities/<int:activity_id>/evidence")
@login_required
def activity_evidence(activity_id: int):
    activity = _get(ce.get_activity, activity_id)
    if activity.user_id != current_user.id and not current_user.has_role("registrar"):
        abort(404)
    if not activity.evidence_key:
        abort(404)
    return redirect(storage.url_for_download(activity.evidence_key,
                                             activity.evidence_name or "evidence"))


@bp.route("/ce/audits/<int:audit_id>/evidence")
@role_required("registrar")
def audit_file(audit_id: int):
    audit = _get(ce.get_audit, audit_id)
    if not audit.evidence_key:
        abort(404)
    return redirect(storage.url_for_download(audit.evidence_key,
                                             audit.evidence_name or "evidence"))


@bp.route("/ce/transcript.csv")
@login_required
def transcript_csv():
    record = _record()
    body = documents.csv_text(documents.TRANSCRIPT_COLUMNS, documents.transcript_rows(record))
    return _download(body, "text/csv; charset=utf-8", "ce-transcript.csv")


@bp.route("/ce/transcript.pdf")
@login_required
def transcript_pdf():
    record = _record()
    return _download(documents.transcript_pdf(record, clock.now()), "application/pdf",
                     "ce-transcript.pdf")


@bp.route("/ce/deadline.ics")
@login_required
def deadline_ics():
    record = _record()
    return _download(documents.deadline_ics(record, request.host.split(":")[0]),
                     "text/calendar; charset=utf-8", "ce-deadline.ics")


def _download(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = storage.content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _get(getter, item_id):
    try:
        return getter(item_id)
    except NotFound:
        abort(404)


def _apply(action, success: str) -> bool:
    try:
        action()
    except PermissionDenied:
        abort(404)
    except DomainError as err:
        flash(str(err), "error")
        return False
    flash(success, "success")
    return True


# --------------------------------------------------------------------------- registrar


@bp.route("/admin/ce")
@role_required("registrar")
def programme():
    today = _today()
    state = request.args.get("state") or None
    if state not in (None, *STATES):
        state = None
    query = (request.args.get("q") or "").strip()[:100]
    export = request.args.get("export")
    holders = ce.holders(state, query)
    due = ce.due_soon(today, query=query)
    queue = ce.approval_queue(query)
    audits = ce.audit_queue(query)
    if export == "holders":
        rows = [{"email": r.user.email, "name": r.user.name, "state": r.holder.state,
                 "earned_on": r.holder.earned_on.isoformat(),
                 "credential": r.holder.credential_ref} for r in holders]
        return _download(documents.csv_text(("email", "name", "state", "earned_on",
                                             "credential"), rows),
                         "text/csv; charset=utf-8", "ce-holders.csv")
    if export == "due":
        rows = [{"email": r.user.email, "name": r.user.name,
                 "deadline": r.status.cycle.last_day.isoformat(),
                 "counted": rules.format_hours(r.status.progress.total),
                 "missing": r.status.missing} for r in due]
        return _download(documents.csv_text(("email", "name", "deadline", "counted",
                                             "missing"), rows),
                         "text/csv; charset=utf-8", "ce-due-soon.csv")
    if export == "queue":
        rows = [{"email": a.user.email, "title": a.title, "provider": a.provider,
                 "date": a.completed_on.isoformat(), "hours": rules.format_hours(a.hours),
                 "category": a.category, "type": a.activity_type,
                 "submitted": a.submitted_at.date().isoformat()} for a in queue]
        return _download(documents.csv_text(("email", "title", "provider", "date", "hours",
                                             "category", "type", "submitted"), rows),
                         "text/csv; charset=utf-8", "ce-approval-queue.csv")
    if export == "audits":
        rows = [{"email": a.user.email, "status": a.status, "cycle": a.renewal.cycle,
                 "drawn": a.drawn_at.date().isoformat()} for a in audits]
        return _download(documents.csv_text(("email", "status", "cycle", "drawn"), rows),
                         "text/csv; charset=utf-8", "ce-audits.csv")
    return render_template("credits/programme.html", holders=holders, due=due, queue=queue,
                           audits=audits, reinstatements=ce.reinstatement_queue(),
                           counts=ce.state_counts(), states=STATES, state=state, q=query,
                           today=today,
                           audit_forms={a.id: AuditDecisionForm(prefix=f"a{a.id}")
                                        for a in audits},
                           reinstate_forms={r.id: ReinstateForm(prefix=f"r{r.id}")
                                            for r in ce.reinstatement_queue()})


@bp.route("/admin/ce/activities/<int:activity_id>", methods=["GET", "POST"])
@role_required("registrar")
def decide(activity_id: int):
    activity = _get(ce.get_activity, activity_id)
    form = DecisionForm()
    if form.validate_on_submit():
        now, note = clock.now(), form.note.data or ""
        actions = {"approve": (lambda: ce.approve_activity(activity, current_user, now),
                               "Approved: the hours are in the ledger."),
                   "reject": (lambda: ce.reject_activity(activity, current_user, note, now),
                              "Rejected; the holder was told why."),
                   "info": (lambda: ce.request_information(activity, current_user, note, now),
                            "Question sent to the holder.")}
        action, message = actions[form.decision.data]
        if _apply(action, message):
            return redirect(url_for("credits.programme"))
    record = ce.load_record(activity.user, _today())
    return render_template("credits/decide.html", activity=activity, form=form, record=record)


@bp.route("/admin/ce/audits/<int:audit_id>", methods=["POST"])
@role_required("registrar")
def decide_audit(audit_id: int):
    audit = _get(ce.get_audit, audit_id)
    form = AuditDecisionForm(prefix=f"a{audit_id}")
    if form.validate_on_submit():
        _apply(lambda: ce.decide_audit(audit, current_user, form.decision.data == "pass",
                                       form.note.data or "", _today(), clock.now()),
               "Audit decided.")
    return redirect(url_for("credits.programme"))


@bp.route("/admin/ce/reinstatements/<int:renewal_id>", methods=["POST"])
@role_required("registrar")
def reinstate(renewal_id: int):
    renewal = _get(ce.get_renewal, renewal_id)
    form = ReinstateForm(prefix=f"r{renewal_id}")
    if form.validate_on_submit():
        _apply(lambda: ce.decide_reinstatement(renewal, current_user,
                                               form.decision.data == "approve",
                                               form.note.data or "", _today(), clock.now()),
               "Reinstatement decided.")
    return redirect(url_for("credits.programme"))


@bp.route("/admin/ce/import", methods=["GET", "POST"])
@role_required("registrar")
def roster():
    form = RosterForm()
    result = None
    if form.validate_on_submit():
        stream, _ = _upload(form.roster)
        if stream is None:
            flash("Choose a CSV file.", "error")
        else:
            try:
                text = stream.read(5 * 1024 * 1024 + 1).decode("utf-8-sig")
            except UnicodeDecodeError:
                flash("The file is not UTF-8 text (save it as CSV UTF-8).", "error")
            else:
                result = ce.import_roster(text, current_user, _today(), clock.now())
                if not result.errors:
                    flash(f"{result.added} entries added, {result.skipped} already recorded "
                          f"(skipped).", "success")
                    return redirect(url_for("credits.roster"))
    return render_template("credits/roster.html", form=form, result=result)


def _correction_form(programme, entry_id: int):
    form = CorrectionForm(prefix=f"e{entry_id}")
    form.category.choices = [SelectChoice("", "(unchanged)")] + [
        SelectChoice(k, c.name) for k, c in programme.categories.items()]
    return form


@bp.route("/admin/ce/holders/<int:user_id>")
@role_required("registrar")
def holder_detail(user_id: int):
    user = _get(get_user, user_id)
    record = ce.load_record(user, _today())
    if record.holder is None:
        abort(404)
    return render_template("credits/holder.html", record=record, status=record.status,
                           rows=documents.transcript_rows(record),
                           forms={e.id: _correction_form(record.programme, e.id)
                                  for e in record.entries})


@bp.route("/admin/ce/entries/<int:entry_id>/correct", methods=["POST"])
@role_required("registrar")
def correct(entry_id: int):
    entry = _get(ce.get_entry, entry_id)
    form = _correction_form(ce.current_programme(), entry_id)
    if not form.validate_on_submit():
        flash("Say why the entry is corrected.", "error")
    elif form.action.data == "reverse":
        _apply(lambda: ce.reverse_entry(entry, current_user, form.reason.data, clock.now()),
               "Entry reversed; the ledger keeps both rows.")
    else:
        hours = (form.hours.data or "").strip() or None
        _apply(lambda: ce.correct_entry(entry, current_user, form.reason.data, clock.now(),
                                        hours=hours, category=form.category.data or None),
               "Entry corrected: a reversal and its replacement are in the ledger.")
    return redirect(url_for("credits.holder_detail", user_id=entry.user_id))


@bp.app_template_filter("ce_hours")
def ce_hours_filter(value) -> str:
    """30, 25.5, 1.25: hours without trailing zeros."""
    return rules.format_hours(value)
