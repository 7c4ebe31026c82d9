"""What anyone may know about a credential: the public verification page reads this.

Only the holder's certificate name, the credential's name, its status (with the public reason
of a suspension or revocation) and its dates. Reads are bulk: :func:`lookup` takes ONE query
for any number of IDs (credentials, holders, CE records and approved renewals joined), and the
CE state of every holder comes from that one load; the other reads take one or two.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, func, or_, select, text

from lms.auth.models import User
from lms.cache import Watched
from lms.credentials.ids import parse_id
from lms.credentials.models import CREDENTIAL_REVOKED, CREDENTIAL_SUSPENDED, Credential
from lms.credits import rules as ce_rules
from lms.credits import services as credits
from lms.credits.models import RENEWAL_APPROVED, RENEWAL_PENDING, CeHolder, CeRenewal
from lms.extensions import db
from lms.programme import Programme

PUBLIC_STATUSES = ("active", "grace", "expired", "suspended", "revoked")
#: At most this many IDs are looked up at once (a longer list is cut).
MAX_LOOKUP = 500
#: How long a looked-up status may be kept: by others (the API's Cache-Control) and, for a
#: change made outside the app, by each of the platform's processes (lms.cache.Watched).
LOOKUP_CACHE_SECONDS = 60

CeState = tuple[ce_rules.State, ce_rules.Cycle]
#: The CE columns of one bulk load: the holder's earned_on, then one approved renewal (or
#: NULLs) per row; a holder with several renewals comes in several rows.
_CE_COLUMNS = (CeHolder.earned_on, CeRenewal.cycle, CeRenewal.renewed_on, CeRenewal.reinstated)
#: Approved renewals only (what the CE rules count). The index's own predicate is repeated,
#: as literal SQL, so that SQLite, which matches partial-index predicates literally, uses
#: uq_ce_renewals_user_cycle_live (PostgreSQL proves it from the equality alone); literal
#: rather than an IN of bound values, which SQLAlchemy would expand on every execution.
_APPROVED_RENEWAL = and_(CeRenewal.user_id == CeHolder.user_id,
                         text(f"ce_renewals.status IN ('{RENEWAL_APPROVED}', "
                              f"'{RENEWAL_PENDING}')"),
                         CeRenewal.status == RENEWAL_APPROVED)


@dataclass(frozen=True)
class PublicCredential:
    credential_id: str
    holder_name: str
    credential_name: str
    status: str  # one of PUBLIC_STATUSES
    status_reason: str  # public reason for suspended/revoked, else ""
    issued_on: date  # first issued
    valid_until: date | None


class _CeLoad:
    """Holders' CE rows gathered from a bulk load, then their states (pure: no queries)."""

    def __init__(self) -> None:
        self.earned: dict[int, date] = {}
        self.renewals: dict[int, set[ce_rules.Renewal]] = defaultdict(set)

    def add(self, user_id: int, earned_on: date | None, cycle: int | None,
            renewed_on: date | None, reinstated: bool | None) -> None:
        if earned_on is None:  # no CE record: the credential's own state decides
            return
        self.earned[user_id] = earned_on
        if cycle is not None and renewed_on is not None:
            self.renewals[user_id].add(ce_rules.Renewal(cycle, renewed_on, bool(reinstated)))

    def states(self, programme: Programme, today: date) -> dict[int, CeState]:
        return {user_id: ce_rules.holder_state(
                    programme, ce_rules.Holder(earned, tuple(self.renewals.get(user_id, ()))),
                    today)
                for user_id, earned in self.earned.items()}


def _ce_by_user(user_ids: set[int], today: date) -> dict[int, CeState]:
    """Each holder's CE state and cycle (one query: holders with their approved renewals)."""
    if not user_ids:
        return {}
    load = _CeLoad()
    for row in db.session.execute(
            select(CeHolder.user_id, *_CE_COLUMNS)
            .outerjoin(CeRenewal, _APPROVED_RENEWAL)
            .where(CeHolder.user_id.in_(user_ids))):
        user_id, earned_on, cycle, renewed_on, reinstated = row
        load.add(user_id, earned_on, cycle, renewed_on, reinstated)
    return load.states(credits.current_programme(), today)


def _status(state: str, ce: CeState | None) -> str:
    if state in (CREDENTIAL_SUSPENDED, CREDENTIAL_REVOKED):
        return state
    if ce is not None and ce[0] is ce_rules.State.GRACE:
        return "grace"
    if ce is not None and ce[0] in (ce_rules.State.REINSTATABLE, ce_rules.State.EXPIRED):
        return "expired"
    return "active"


def status_of(credential: Credential, ce: CeState | None) -> str:
    """active, grace, expired, suspended or revoked: the registrar's word first, then CE."""
    return _status(credential.state, ce)


def statuses_for(credentials: Sequence[Credential], today: date) -> dict[int, str]:
    """Public status by credential row id (one query)."""
    ce = _ce_by_user({c.user_id for c in credentials}, today)
    return {c.id: status_of(c, ce.get(c.user_id)) for c in credentials}


#: The public columns of a credential and its holder, in the order _Row takes them.
_PUBLIC_COLUMNS = (Credential.credential_id, Credential.user_id, Credential.state,
                   Credential.state_reason, Credential.issued_on, User.legal_name, User.name)


@dataclass(frozen=True)
class _Row:
    credential_id: str
    user_id: int
    state: str
    state_reason: str
    issued_on: date
    legal_name: str
    name: str


def _public(rows: Iterable[_Row], ce: dict[int, CeState],
            programme: Programme) -> list[PublicCredential]:
    name = programme.credential.name
    out = []
    for row in rows:
        found = ce.get(row.user_id)
        status = _status(row.state, found)
        out.append(PublicCredential(
            credential_id=row.credential_id, holder_name=row.legal_name or row.name,
            credential_name=name, status=status,
            status_reason=row.state_reason if status in ("suspended", "revoked") else "",
            issued_on=row.issued_on,
            valid_until=found[1].last_day if found is not None else None))
    return out


#: The lookup's one statement, built once (a lookup runs on every verification request, so
#: neither the statement nor the ORM's unit of work is rebuilt each time): each credential
#: with its holder, the holder's CE record and approved renewals (a row per renewal).
_LOOKUP = (select(*_PUBLIC_COLUMNS, *_CE_COLUMNS)
           .join(User, User.id == Credential.user_id)
           .outerjoin(CeHolder, CeHolder.user_id == Credential.user_id)
           .outerjoin(CeRenewal, _APPROVED_RENEWAL))
_LOOKUP_ONE = _LOOKUP.where(Credential.credential_id == bindparam("id"))
_LOOKUP_MANY = _LOOKUP.where(Credential.credential_id.in_(bindparam("ids", expanding=True)))


#: What a lookup reads (the tables of _LOOKUP; of users only the names, so a sign-in, which
#: writes the user's sign-in time, keeps it): a looked-up credential is kept until one of them
#: is written, and (for a change made outside the app) no longer than others may keep it.
_LOOKUPS = Watched("lookup", {Credential.__tablename__, User.__tablename__,
                              CeHolder.__tablename__, CeRenewal.__tablename__},
                   max_age=LOOKUP_CACHE_SECONDS,
                   columns={User.__tablename__: {User.legal_name.key, User.name.key}})


def lookup_one(typed: str, today: date) -> PublicCredential | None:
    """The credential of one typed ID, or None (as :func:`lookup`). With Redis as the cache,
    each process keeps it per ID, day and rule set while the tables it is read from are
    unchanged (lms.cache.Watched): a revocation, a renewal or a new name shows on the very
    next lookup, whichever worker answers it."""
    parsed = parse_id(typed)
    if parsed is None:
        return None
    canonical = str(parsed)
    return _LOOKUPS.fetch(f"{canonical}:{today.isoformat()}:{credits.current_programme_version()}",
                          lambda: lookup([canonical], today).get(canonical))


def lookup(ids: Sequence[str], today: date) -> dict[str, PublicCredential]:
    """The known, well-formed IDs among `ids` (as typed), keyed by the text given.

    ONE query whatever the number of IDs, from which every holder's CE state is computed.
    """
    wanted: dict[str, list[str]] = defaultdict(list)
    for typed in list(ids)[:MAX_LOOKUP]:
        parsed = parse_id(typed)
        if parsed is not None:
            wanted[str(parsed)].append(typed)
    if not wanted:
        return {}
    session = db.session()
    if session.new or session.dirty or session.deleted:  # what the ORM would autoflush
        session.flush()
    connection = session.connection()  # Core rows, in the session's transaction
    if len(wanted) == 1:
        result = connection.execute(_LOOKUP_ONE, {"id": next(iter(wanted))})
    else:
        result = connection.execute(_LOOKUP_MANY, {"ids": list(wanted)})
    rows: dict[str, _Row] = {}
    load = _CeLoad()
    for row in result:
        (credential_id, user_id, state, reason, issued_on, legal_name, name,
         earned_on, cycle, renewed_on, reinstated) = row
        rows[credential_id] = _Row(credential_id, user_id, state, reason, issued_on,
                                   legal_name, name)
        load.add(user_id, earned_on, cycle, renewed_on, reinstated)
    programme = credits.current_programme()
    out: dict[str, PublicCredential] = {}
    for public_credential in _public(rows.values(), load.states(programme, today), programme):
        for typed in wanted[public_credential.credential_id]:
            out[typed] = public_credential
    return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_by_name(query: str, today: date, limit: int = 20) -> list[PublicCredential]:
    """Holders who opted into the directory whose name contains `query` (at least two
    characters), best first; revoked credentials are not listed. Two queries."""
    query = " ".join(str(query or "").split())[:100]
    if len(query) < 2:
        return []
    pattern = f"%{_escape_like(query.lower())}%"
    rows = [_Row(*row) for row in db.session.execute(
        select(*_PUBLIC_COLUMNS).join(User, User.id == Credential.user_id)
        .where(User.directory_opt_in.is_(True), User.active.is_(True),
               Credential.state != CREDENTIAL_REVOKED,
               or_(func.lower(User.legal_name).like(pattern, escape="\\"),
                   func.lower(User.name).like(pattern, escape="\\")))
        .order_by(func.lower(func.coalesce(func.nullif(User.legal_name, ""), User.name)),
                  Credential.credential_id)
        .limit(max(1, min(int(limit), 100))))]
    return _public(rows, _ce_by_user({r.user_id for r in rows}, today),
                   credits.current_programme())
