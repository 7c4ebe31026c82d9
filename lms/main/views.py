"""Home, dashboard and health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from lms import tasks
from lms.auth.access import login_required
from lms.courses import services as courses
from lms.extensions import db, limiter

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    entries = courses.dashboard(current_user)
    # "Welcome back" is for people who have been learning here before: they have enrolments.
    return render_template("main/dashboard.html", entries=entries, returning=bool(entries))


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Database down: 503 (take this server out). Broker down: 200 "degraded" (pages still
    work; background work waits in the outbox and the queue). No broker configured: no key."""
    report = {"status": "ok", "database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        report.update(status="error", database="unreachable")
    broker = tasks.broker_status()
    if broker is not None:
        report["broker"] = broker
        if broker != "ok" and report["status"] == "ok":
            report["status"] = "degraded"
    return jsonify(report), 503 if report["database"] != "ok" else 200
