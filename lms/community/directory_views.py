"""The practitioner directory page (public: only members who opted in, only public facts)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from lms import clock
from lms.auth import services as auth
from lms.community import directory

bp = Blueprint("directory", __name__, template_folder="templates")


@bp.route("/directory")
def index():
    filters = directory.Filters(q=request.args.get("q", ""),
                                country=request.args.get("country", ""),
                                focus=request.args.get("focus", ""),
                                status=request.args.get("status", "")).cleaned()
    page = max(request.args.get("page", 1, type=int), 1)
    pagination, entries = directory.search(filters, page, clock.now().date())
    return render_template("community/directory.html", filters=filters, entries=entries,
                           pagination=pagination, countries=directory.countries(),
                           focus_choices=auth.focus_area_choices(),
                           statuses=directory.DIRECTORY_STATUSES)
