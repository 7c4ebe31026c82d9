"""Credential pages (filled in below)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from lms import clock
from lms.auth.access import login_required
from lms.credentials import services
from lms.credentials.certificates import HOLDER_PATH

bp = Blueprint("credentials", __name__, template_folder="templates")


@bp.route(HOLDER_PATH)
@login_required
def mine():
    page = services.holder_page(current_user, clock.now().date())
    return render_template("credentials/mine.html", page=page)
