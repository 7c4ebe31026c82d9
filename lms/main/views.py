"""Home, dashboard and health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from lms.auth.access import login_required
from lms.cohorts import services as cohorts
from lms.courses import services as courses
from lms.extensions import limiter
from lms.main.services import health_report

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
    return render_template("main/dashboard.html", entries=entries, returning=bool(entries),
                           cohorts=cohorts.my_cohorts(current_user.id))


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Database down: 503; broker down: 200 "degraded" (lms.main.services.health_report)."""
    report, status = health_report()
    return jsonify(report), status
