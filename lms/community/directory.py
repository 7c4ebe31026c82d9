"""The practitioner directory: members who opted in, with where they work, their focus areas
(the programme's Pillars and Commitments, chosen in the profile) and their AP badge.

Public facts only: name, organisation, city, country, focus areas and the credential's ID and
public status (lms.credentials.public). Never an e-mail address. A page of members costs a
constant number of queries: the page, its count, the countries for the filter, the members'
credentials, and the credential lookup's own three.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select

from lms.auth import services as auth
from lms.auth.models import User
from lms.credentials import public
from lms.credentials.models import CREDENTIAL_REVOKED, Credential
from lms.extensions import db

PER_PAGE = 24
#: Statuses shown and filterable in the directory (a revoked credential is no badge).
DIRECTORY_STATUSES = {"active": "Active", "grace": "In grace period", "expired": "Expired",
                      "suspended": "Suspended"}
STATUS_ANY = "any"


@dataclass(frozen=True)
class Filters:
    q: str = ""
    country: str = ""
    focus: str = ""
    status: str = ""  # "", "any" (any AP), or one of DIRECTORY_STATUSES

    def cleaned(self) -> Filters:
        focus = self.focus if self.focus in dict(auth.focus_area_choices()) else ""
        status = self.status if self.status in (*DIRECTORY_STATUSES, STATUS_ANY) else ""
        return Filters(" ".join(self.q.split())[:100], " ".join(self.country.split())[:120],
                       focus, status)


@dataclass(frozen=True)
class Entry:
    user: User
    focus: list[str]  # focus-area names, in the programme's order
    credential: public.PublicCredential | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _listed() -> Select:
    return select(User).where(User.directory_opt_in.is_(True), User.active.is_(True))


def _filtered(filters: Filters) -> Select:
    stmt = _listed()
    if filters.q:
        pattern = f"%{_escape_like(filters.q.lower())}%"
        stmt = stmt.where(func.lower(User.name).like(pattern, escape="\\")
                          | func.lower(User.organisation).like(pattern, escape="\\")
                          | func.lower(User.city).like(pattern, escape="\\"))
    if filters.country:
        stmt = stmt.where(func.lower(User.country) == filters.country.lower())
    if filters.focus:
        stmt = stmt.where(User.focus_areas.like(f"%,{_escape_like(filters.focus)},%",
                                                escape="\\"))
    return stmt


def _latest_credentials(user_ids) -> dict[int, Credential]:
    """Each member's most recent non-revoked credential (one query)."""
    latest: dict[int, Credential] = {}
    for credential in db.session.scalars(
            select(Credential).where(Credential.user_id.in_(user_ids),
                                     Credential.state != CREDENTIAL_REVOKED)
            .order_by(Credential.user_id, Credential.issued_on, Credential.id)):
        latest[credential.user_id] = credential
    return latest


def _status_matches(filters: Filters, today: date) -> Select | None:
    """Ids of listed members whose AP status fits the filter (None: no status filter)."""
    if not filters.status:
        return None
    rows = list(db.session.scalars(
        select(Credential).join(User, User.id == Credential.user_id)
        .where(User.directory_opt_in.is_(True), User.active.is_(True),
               Credential.state != CREDENTIAL_REVOKED)
        .order_by(Credential.user_id, Credential.issued_on, Credential.id)))
    latest = {c.user_id: c for c in rows}
    statuses = public.statuses_for(list(latest.values()), today)
    ids = [uid for uid, c in latest.items()
           if filters.status == STATUS_ANY or statuses.get(c.id) == filters.status]
    return select(User.id).where(User.id.in_(ids or [-1]))


def countries() -> list[str]:
    """The countries listed members give, for the filter (one query)."""
    names = db.session.scalars(
        select(User.country).where(User.directory_opt_in.is_(True), User.active.is_(True),
                                   User.country != "").distinct())
    return sorted({" ".join(n.split()) for n in names}, key=str.lower)


def search(filters: Filters, page: int, today: date, per_page: int = PER_PAGE):
    """(pagination, entries) of listed members matching `filters`, by name."""
    filters = filters.cleaned()
    stmt = _filtered(filters)
    status_ids = _status_matches(filters, today)
    if status_ids is not None:
        stmt = stmt.where(User.id.in_(status_ids))
    pagination = db.paginate(stmt.order_by(func.lower(User.name), User.id), page=page,
                             per_page=per_page, error_out=False)
    users = list(pagination.items)
    creds = _latest_credentials([u.id for u in users]) if users else {}
    found = public.lookup([c.credential_id for c in creds.values()], today) if creds else {}
    names = dict(auth.focus_area_choices())
    entries = []
    for user in users:
        credential = creds.get(user.id)
        badge = found.get(credential.credential_id) if credential is not None else None
        if badge is not None and badge.status not in DIRECTORY_STATUSES:
            badge = None
        entries.append(Entry(user, [names[k] for k in user.focus_area_keys if k in names],
                             badge))
    return pagination, entries
