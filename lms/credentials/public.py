"""What anyone may know about a credential: the public verification page reads this.

Only the holder's certificate name, the credential's name, its status (with the public reason
of a suspension or revocation) and its dates. Batch reads: a constant number of queries for
any number of IDs.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from lms.auth.models import User
from lms.credentials.ids import parse_id
from lms.credentials.models import CREDENTIAL_REVOKED, CREDENTIAL_SUSPENDED, Credential
from lms.credits import rules as ce_rules
from lms.credits import services as credits
from lms.credits.models import CeHolder, CeRenewal
from lms.extensions import db

PUBLIC_STATUSES = ("active", "grace", "expired", "suspended", "revoked")
#: At most this many IDs are looked up at once (a longer list is cut).
MAX_LOOKUP = 500


@dataclass(frozen=True)
class PublicCredential:
    credential_id: str
    holder_name: str
    credential_name: str
    status: str  # one of PUBLIC_STATUSES
    status_reason: str  # public reason for suspended/revoked, else ""
    issued_on: date  # first issued
    valid_until: date | None


def _ce_by_user(user_ids: set[int], today: date
                ) -> dict[int, tuple[ce_rules.State, ce_rules.Cycle]]:
    """Each holder's CE state and cycle (two queries)."""
    if not user_ids:
        return {}
    programme = credits.current_programme()
    holders = db.session.scalars(select(CeHolder).where(CeHolder.user_id.in_(user_ids)))
    renewals: dict[int, list[CeRenewal]] = defaultdict(list)
    for renewal in db.session.scalars(select(CeRenewal).where(
            CeRenewal.user_id.in_(user_ids))):
        renewals[renewal.user_id].append(renewal)
    return {h.user_id: ce_rules.holder_state(programme,
                                             credits.rules_holder(h, renewals[h.user_id]),
                                             today)
            for h in holders}


def status_of(credential: Credential, ce: tuple[ce_rules.State, ce_rules.Cycle] | None) -> str:
    """active, grace, expired, suspended or revoked: the registrar's word first, then CE."""
    if credential.state in (CREDENTIAL_SUSPENDED, CREDENTIAL_REVOKED):
        return credential.state
    if ce is not None and ce[0] is ce_rules.State.GRACE:
        return "grace"
    if ce is not None and ce[0] in (ce_rules.State.REINSTATABLE, ce_rules.State.EXPIRED):
        return "expired"
    return "active"


def statuses_for(credentials: Sequence[Credential], today: date) -> dict[int, str]:
    """Public status by credential row id (two queries)."""
    ce = _ce_by_user({c.user_id for c in credentials}, today)
    return {c.id: status_of(c, ce.get(c.user_id)) for c in credentials}


def _public(rows: Sequence[tuple[Credential, User]], today: date) -> list[PublicCredential]:
    ce = _ce_by_user({c.user_id for c, _ in rows}, today)
    name = credits.current_programme().credential.name
    out = []
    for credential, user in rows:
        found = ce.get(credential.user_id)
        status = status_of(credential, found)
        out.append(PublicCredential(
            credential_id=credential.credential_id, holder_name=user.certificate_name,
            credential_name=name, status=status,
            status_reason=credential.state_reason if status in ("suspended", "revoked")
            else "",
            issued_on=credential.issued_on,
            valid_until=found[1].last_day if found is not None else None))
    return out


def lookup(ids: Sequence[str], today: date) -> dict[str, PublicCredential]:
    """The known, well-formed IDs among `ids` (as typed), keyed by the text given.

    Three queries whatever the number of IDs: credentials with holders, CE holders, renewals.
    """
    wanted: dict[str, list[str]] = defaultdict(list)
    for text in list(ids)[:MAX_LOOKUP]:
        parsed = parse_id(text)
        if parsed is not None:
            wanted[str(parsed)].append(text)
    if not wanted:
        return {}
    rows = list(db.session.execute(
        select(Credential, User).join(User, User.id == Credential.user_id)
        .where(Credential.credential_id.in_(wanted))))
    out: dict[str, PublicCredential] = {}
    for public in _public(rows, today):
        for text in wanted[public.credential_id]:
            out[text] = public
    return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_by_name(query: str, today: date, limit: int = 20) -> list[PublicCredential]:
    """Holders who opted into the directory whose name contains `query` (at least two
    characters), best first; revoked credentials are not listed. Three queries."""
    query = " ".join(str(query or "").split())[:100]
    if len(query) < 2:
        return []
    pattern = f"%{_escape_like(query.lower())}%"
    rows = list(db.session.execute(
        select(Credential, User).join(User, User.id == Credential.user_id)
        .where(User.directory_opt_in.is_(True), User.active.is_(True),
               Credential.state != CREDENTIAL_REVOKED,
               or_(func.lower(User.legal_name).like(pattern, escape="\\"),
                   func.lower(User.name).like(pattern, escape="\\")))
        .order_by(func.lower(func.coalesce(func.nullif(User.legal_name, ""), User.name)),
                  Credential.credential_id)
        .limit(max(1, min(int(limit), 100)))))
    return _public(rows, today)
