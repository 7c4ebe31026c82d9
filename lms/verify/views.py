"""Public verification pages: ``/verify`` (look up, search, check a PDF) and ``/verify/<ID>``.

No account needed; nothing private shown. A malformed ID and an unknown one get the same 404.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from lms import clock
from lms.auth.access import login_required
from lms.cache import keep
from lms.credentials.certificates import qr_code
from lms.credentials.ids import parse_id
from lms.credentials.public import PublicCredential
from lms.errors import NotFound, ValidationError
from lms.mail import external_url
from lms.verify import services
from lms.verify.cli import rotate_key_command
from lms.verify.forms import LookupForm, PdfForm
from lms.verify.limits import cap_uploads, lookup_limit, lookups

bp = Blueprint("verify", __name__, template_folder="templates")
# The holder's credential page (lms/credentials) fills LinkedIn's link with this; see
# templates/verify/_linkedin.html.
bp.add_app_template_global(services.linkedin_url, "linkedin_add_url")
# `flask verify rotate-key` (the blueprint's CLI group is registered with the blueprint).
bp.cli.add_command(rotate_key_command)
bp.url_value_preprocessor(cap_uploads("verify.pdf"))


def _looked_up() -> bool:
    return bool(request.args.get("id") or request.args.get("name"))


def _may_download_badge(credential_id: str) -> bool:
    """The holder, or staff who issue credentials: the one check of this feature."""
    if not current_user.is_authenticated:
        return False
    holder = services.holder_of(credential_id)
    return holder is not None and (holder == current_user.id or current_user.has_role("registrar"))


@bp.get("/verify")
@lookups(exempt_when=lambda: not _looked_up())
def index():
    form = LookupForm(request.args)
    pdf_form = PdfForm()
    today = clock.now().date()
    lookup = results = None
    if _looked_up() and form.validate():
        if form.id.data:
            lookup = services.find(form.id.data, today)
            if lookup.found is not None:
                return redirect(url_for(".credential", credential_id=lookup.found.credential_id))
        elif form.name.data:
            results = services.search(form.name.data, today)
    status = 404 if lookup is not None else (422 if form.errors else 200)
    return render_template("verify/index.html", form=form, pdf_form=pdf_form, lookup=lookup,
                           results=results, labels=services.STATUS_LABELS,
                           search_max=services.SEARCH_MAX), status


@bp.post("/verify/pdf")
@lookup_limit
def pdf():
    form = PdfForm()
    report = None
    if form.validate_on_submit():
        try:
            data = services.read_certificate(form.file.data.stream)
        except ValidationError as err:
            form.file.errors.append(str(err))
        else:
            report = services.check_certificate(data, clock.now().date())
    return render_template("verify/pdf.html", form=form, report=report,
                           labels=services.STATUS_LABELS,
                           explained=services.STATUS_EXPLAINED), 200 if report else 422


@lru_cache(maxsize=1024)
def _qr_svg(page_url: str) -> str:
    """The page's QR code back to itself, as inline SVG (an address always gives the same
    code: kept for the most recently shown pages)."""
    return qr_code(page_url).svg_inline(scale=3, title="QR code of this page", border=2)


@bp.get("/verify/<path:credential_id>")
@lookup_limit
def credential(credential_id: str):
    found = services.find(credential_id, clock.now().date()).found
    if found is None:
        abort(404, services.NOT_FOUND_TEXT)
    if found.credential_id != credential_id:  # typed in lower case or with spaces: one address
        return redirect(url_for(".credential", credential_id=found.credential_id), 301)
    today = clock.now().date()
    if request.cookies:  # perhaps someone signed in: the page is theirs
        return _credential_page(found, today)
    # Nobody signed in, no session: the page is the same for every such visitor, so it is
    # made once per credential state, address and day (what an employer reloads).
    pages = current_app.extensions.setdefault(ANONYMOUS_PAGES, {})
    key = (found, request.url_root, request.full_path, current_app.config.get("BASE_URL"),
           today)
    page = pages.get(key)
    if page is None:
        page = _credential_page(found, today)
        if not session.modified:  # nothing of a session in it (no form token)
            keep(pages, key, page, ANONYMOUS_PAGES_MAX)
    return page


#: app.extensions key: the public credential pages of visitors without a session, by
#: credential state, address, site and day (at most ANONYMOUS_PAGES_MAX; then it starts again).
ANONYMOUS_PAGES = "lms.verify.anonymous_pages"
ANONYMOUS_PAGES_MAX = 1024


def _credential_page(found: PublicCredential, today: date) -> str:
    page_url = external_url(".credential", credential_id=found.credential_id)
    holder_view = _may_download_badge(found.credential_id)
    return render_template("verify/credential.html", credential=found, page_url=page_url,
                           qr=_qr_svg(page_url), label=services.STATUS_LABELS[found.status],
                           explained=services.STATUS_EXPLAINED[found.status],
                           holder_view=holder_view, today=today,
                           linkedin=services.linkedin_url(
                               found.credential_id, found.credential_name, found.issued_on,
                               found.valid_until) if holder_view else None)


@bp.get("/verify/<credential_id>/open-badge.jwt")
@login_required
def open_badge(credential_id: str):
    parsed = parse_id(credential_id)
    if parsed is None or not _may_download_badge(str(parsed)):
        abort(404, services.NOT_FOUND_TEXT)
    try:
        token = services.signed_badge(str(parsed), clock.now().date())
    except NotFound:
        abort(404, services.NOT_FOUND_TEXT)
    return Response(token, mimetype="application/vc+jwt", headers={
        "Content-Disposition": f'attachment; filename="{parsed}-open-badge.jwt"',
        "Cache-Control": "private, no-store"})
