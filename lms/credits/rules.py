"""The CE rules engine: cycles, progress, caps, carry-over, states, reminders, renewal, audit.

Pure functions over (the programme's rules, a holder's credential dates, ledger entries, today):
no database, no Flask, no clock. Every rule comes from ``courses/program.yml``
(:class:`lms.programme.Programme`), so the same code expresses a LEED-style rolling cycle, an
AICP-style shared calendar cycle and a PMP-style cycle with floors, ceilings and carry-over.

Decisions where the programme rules are silent (documented in docs once wired):

* **Cycles** are half-open ``[start, end)``: ``end`` is the next cycle's start, and the last
  day to earn hours (the deadline shown to people) is the day before. An entry dated exactly
  on ``end`` belongs to the next cycle. Cycles are always counted from the anchor
  (``earned + k × length``), never from the previous end, so a cycle from 29 February or
  31 January does not drift: 29 Feb 2024 + 24 months is 28 Feb 2026, + 48 months 29 Feb 2028.
* **Shared calendar cycles** start on ``calendar_start`` and are counted from that month-day
  in the year 2000 (24-month cycles from 01-01 run 2024–2025, 2026–2027, …). A new holder's
  first cycle runs from the date earned to the end of the shared cycle in progress; when
  less than half of it remains, to the end of the next one (nobody has to find the full
  hours in a few weeks).
* **Renewal** of cycle k is allowed once its requirements are met (early or in grace); the
  next cycle is always k + 1, starting at k's end, so renewing early never shortens it.
  Hours dated in the grace window count for the late cycle, up to its renewal date; the next
  cycle counts from the day after. A **reinstatement** (after grace) puts the holder in the
  cycle that contains the reinstatement date.
* **Caps** are applied in date order (then entry key), first come first counted: a per-type
  cap ``per: year`` is per *cycle year* (12-month periods from the cycle start: a 24-month
  cycle has two); ``self_report_cap`` is per cycle over every self-reported type; a
  ``category_maximums`` ceiling is per cycle. Each trimmed entry says which cap trimmed it.
  Adding an entry never lowers the total counted, but where one cap spans several
  categories an earlier entry can take cap room a later entry of another category had.
* **Carry-over**: hours above the cycle's requirement, counted from entries dated in its
  final ``from_final_months``, up to ``max_hours``, move to the next cycle (newest first,
  keeping their category and type) once the cycle is renewed.
* **Reminders** are due at ``end - days`` for each ``reminder_days`` value, only while the
  holder is active and short; when a sweep finds several due at once (missed days), only the
  nearest is sent and the others are recorded as skipped.
* **Required categories** (``required_categories_each_cycle``) need at least some counted
  hours in the category; **required courses** need an entry for that course in the cycle.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from lms.programme import Programme

__all__ = [
    "STATUS_APPROVED", "STATUS_PENDING", "CategoryNeed", "CountedEntry", "Cycle", "Entry",
    "Holder", "HolderStatus", "Progress", "ReminderDue", "Renewal", "RenewalCheck", "State",
    "SweepRecord", "SweepResult", "add_months", "cycle_at", "cycle_containing", "deadline_for",
    "drawn_for_audit", "due_reminders", "format_hours", "holder_state", "missing_text",
    "obligation_index", "progress", "renewal_check", "status", "sweep",
]

STATUS_APPROVED = "approved"
STATUS_PENDING = "pending"
ZERO = Decimal(0)
ONE_DAY = dt.timedelta(days=1)
#: Shared calendar cycles are counted from calendar_start in this year.
CALENDAR_EPOCH_YEAR = 2000


# --------------------------------------------------------------------------- inputs


def _hours(value: Decimal | int | float | str) -> Decimal:
    hours = value if isinstance(value, Decimal) else Decimal(str(value))
    if not hours.is_finite() or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0 (got {value!r})")
    return hours


@dataclass(frozen=True)
class Entry:
    """One effective ledger entry (reversed entries are left out by the caller).

    ``status`` is ``approved`` (counts) or ``pending`` (waiting for a registrar: shown, not
    counted). ``course`` is the course code of a platform course completion.
    """

    key: str
    on: dt.date
    hours: Decimal
    category: str
    activity_type: str
    status: str = STATUS_APPROVED
    course: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hours", _hours(self.hours))
        if self.status not in (STATUS_APPROVED, STATUS_PENDING):
            raise ValueError(f"entry status must be approved or pending (got {self.status!r})")


@dataclass(frozen=True)
class Renewal:
    """Cycle ``cycle`` was renewed on ``on`` (``reinstated``: after grace, by a registrar)."""

    cycle: int
    on: dt.date
    reinstated: bool = False


@dataclass(frozen=True)
class Holder:
    """A credential's dates: when it was earned and the renewals since."""

    earned_on: dt.date
    renewals: tuple[Renewal, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.renewals, key=lambda r: (r.cycle, r.on)))
        if len({r.cycle for r in ordered}) != len(ordered):
            raise ValueError("a cycle can be renewed only once")
        object.__setattr__(self, "renewals", ordered)

    def renewal_of(self, index: int) -> Renewal | None:
        for renewal in self.renewals:
            if renewal.cycle == index:
                return renewal
        return None

    def renewed(self, renewal: Renewal) -> Holder:
        return Holder(self.earned_on, (*self.renewals, renewal))


# --------------------------------------------------------------------------- dates and cycles


def add_months(day: dt.date, months: int) -> dt.date:
    """day + months, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def _months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (may be negative); add_months(start, n) <= end."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while add_months(start, months) > end:
        months -= 1
    while add_months(start, months + 1) <= end:
        months += 1
    return months


def format_date(day: dt.date) -> str:
    """14 March 2027."""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def format_hours(hours: Decimal | int | float) -> str:
    """30, 1.5, 0.25: no trailing zeros."""
    value = Decimal(str(hours)) if not isinstance(hours, Decimal) else hours
    text = f"{value.normalize():f}"
    return text


@dataclass(frozen=True)
class Cycle:
    """Cycle ``index`` of a holder (0 = the first): ``[start, end)``."""

    index: int
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        """The last day hours count: the deadline people see."""
        return self.end - ONE_DAY

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    def days_left(self, today: dt.date) -> int:
        return max(0, (self.end - today).days)


def _shared(programme: Programme, n: int) -> tuple[dt.date, dt.date]:
    rule = programme.maintenance.cycle
    month, day = rule.start_month_day
    epoch = dt.date(CALENDAR_EPOCH_YEAR, month, day)
    return (add_months(epoch, n * rule.length_months),
            add_months(epoch, (n + 1) * rule.length_months))


def _shared_index(programme: Programme, day: dt.date) -> int:
    rule = programme.maintenance.cycle
    month, mday = rule.start_month_day
    epoch = dt.date(CALENDAR_EPOCH_YEAR, month, mday)
    n = _months_between(epoch, day) // rule.length_months
    while _shared(programme, n)[0] > day:
        n -= 1
    while _shared(programme, n)[1] <= day:
        n += 1
    return n


def _first_shared(programme: Programme, earned_on: dt.date) -> int:
    """The shared cycle the first cycle ends with."""
    n = _shared_index(programme, earned_on)
    start, end = _shared(programme, n)
    if (end - earned_on).days * 2 < (end - start).days:
        n += 1
    return n


def cycle_at(programme: Programme, earned_on: dt.date, index: int) -> Cycle:
    """The holder's cycle number ``index`` (0 = the first), from the programme's rules."""
    if index < 0:
        raise ValueError("cycle index must be >= 0")
    rule = programme.maintenance.cycle
    if rule.anchor == "earned":
        return Cycle(index, add_months(earned_on, index * rule.length_months),
                     add_months(earned_on, (index + 1) * rule.length_months))
    first = _first_shared(programme, earned_on)
    if index == 0:
        return Cycle(0, earned_on, _shared(programme, first)[1])
    start, end = _shared(programme, first + index)
    return Cycle(index, start, end)


def cycle_containing(programme: Programme, earned_on: dt.date, day: dt.date) -> Cycle:
    """The holder's cycle whose dates contain day (cycle 0 for days before it)."""
    if day < earned_on:
        return cycle_at(programme, earned_on, 0)
    rule = programme.maintenance.cycle
    if rule.anchor == "earned":
        index = _months_between(earned_on, day) // rule.length_months
    else:
        index = max(0, _shared_index(programme, day) - _first_shared(programme, earned_on))
    cycle = cycle_at(programme, earned_on, index)
    while cycle.end <= day:
        cycle = cycle_at(programme, earned_on, cycle.index + 1)
    while cycle.index > 0 and cycle.start > day:
        cycle = cycle_at(programme, earned_on, cycle.index - 1)
    return cycle


def obligation_index(programme: Programme, holder: Holder) -> int:
    """The cycle the holder must meet next: after the last renewal (or 0)."""
    if not holder.renewals:
        return 0
    last = holder.renewals[-1]
    index = last.cycle + 1
    if last.reinstated:
        index = max(index, cycle_containing(programme, holder.earned_on, last.on).index)
    return index


# --------------------------------------------------------------------------- states


class State(enum.StrEnum):
    """Where a holder stands with CE."""

    ACTIVE = "active"
    GRACE = "grace"                  # cycle ended unmet: may still earn, report and renew
    REINSTATABLE = "reinstatable"    # expired, within reinstatement_months: registrar may reinstate
    EXPIRED = "expired"              # the credential must be earned again


def _grace_end(programme: Programme, cycle: Cycle) -> dt.date:
    return add_months(cycle.end, programme.maintenance.grace_months)


def _reinstate_end(programme: Programme, cycle: Cycle) -> dt.date:
    m = programme.maintenance
    return add_months(cycle.end, m.grace_months + m.reinstatement_months)


def holder_state(programme: Programme, holder: Holder, today: dt.date) -> tuple[State, Cycle]:
    """The holder's state today and the cycle they must meet (the one that ended, if late)."""
    cycle = cycle_at(programme, holder.earned_on, obligation_index(programme, holder))
    if today < cycle.end:
        return State.ACTIVE, cycle
    if today < _grace_end(programme, cycle):
        return State.GRACE, cycle
    if today < _reinstate_end(programme, cycle):
        return State.REINSTATABLE, cycle
    return State.EXPIRED, cycle


def deadline_for(programme: Programme, state: State, cycle: Cycle) -> dt.date:
    """The last day to act: the cycle's last day, or of the grace or reinstatement window."""
    if state is State.GRACE:
        return _grace_end(programme, cycle) - ONE_DAY
    if state in (State.REINSTATABLE, State.EXPIRED):
        return _reinstate_end(programme, cycle) - ONE_DAY
    return cycle.last_day


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class CountedEntry:
    """An entry as counted in a cycle: the hours that count, those trimmed, and why."""

    entry: Entry
    counted: Decimal
    trimmed: Decimal
    reasons: tuple[str, ...] = ()
    carried: bool = False  # carried over from the previous cycle


@dataclass(frozen=True)
class CategoryNeed:
    """A category floor: hours required and counted."""

    category: str
    name: str
    required: Decimal
    counted: Decimal

    @property
    def missing(self) -> Decimal:
        return max(ZERO, self.required - self.counted)


@dataclass(frozen=True)
class Progress:
    """A cycle's progress: the counting window, totals, floors, what is missing."""

    cycle: Cycle
    counted_from: dt.date
    counted_until: dt.date
    required: Decimal
    total: Decimal
    by_category: Mapping[str, Decimal]
    needs: tuple[CategoryNeed, ...]
    categories_missing: tuple[str, ...]
    courses_missing: tuple[str, ...]
    entries: tuple[CountedEntry, ...]
    carried_in: Decimal
    pending: Decimal
    carry_out: tuple[Entry, ...] = field(default=())

    @property
    def missing_hours(self) -> Decimal:
        """Hours still needed, the category floors included (their hours count in the total)."""
        floors = sum((need.missing for need in self.needs), ZERO)
        return max(self.required - self.total, floors, ZERO)

    @property
    def met(self) -> bool:
        return (self.missing_hours == 0 and not self.categories_missing
                and not self.courses_missing)


def _window(programme: Programme, holder: Holder, cycle: Cycle,
            today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last dates (inclusive) whose entries count for this cycle."""
    start = cycle.start
    previous = [r for r in holder.renewals if r.cycle < cycle.index]
    if previous:
        start = max(start, previous[-1].on + ONE_DAY)
    renewal = holder.renewal_of(cycle.index)
    if renewal is not None:
        until = max(cycle.last_day, renewal.on)
    elif today >= cycle.end:
        until = min(today, _reinstate_end(programme, cycle) - ONE_DAY)
        until = max(until, cycle.last_day)
    else:
        until = cycle.last_day
    return start, min(until, today)


def _allocate(programme: Programme, cycle: Cycle, entries: Sequence[tuple[Entry, bool]],
              ) -> list[CountedEntry]:
    """Apply the caps in date order; return each entry's counted and trimmed hours."""
    m = programme.maintenance
    used_type: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    used_category: dict[str, Decimal] = defaultdict(Decimal)
    used_self = ZERO
    out: list[CountedEntry] = []
    for entry, carried in sorted(entries, key=lambda pair: (pair[0].on, pair[0].key)):
        limits: list[tuple[Decimal, str]] = []
        cap = m.activity_caps.get(entry.activity_type)
        period = 0
        if cap is not None:
            if cap.per == "year":  # hours in the grace window share the last year's cap
                period = min(max(0, _months_between(cycle.start, entry.on)),
                             _months_between(cycle.start, cycle.end) - 1) // 12
            limit = Decimal(str(cap.hours))
            name = _type_name(programme, entry.activity_type)
            per = "a cycle year" if cap.per == "year" else "a cycle"
            limits.append((limit - used_type[(entry.activity_type, period)],
                           f"{name} counts for at most {format_hours(limit)} hours in {per}"))
        if m.self_report_cap is not None and programme.is_self_reported(entry.activity_type):
            limit = Decimal(str(m.self_report_cap))
            limits.append((limit - used_self, f"self-reported activity counts for at most "
                                              f"{format_hours(limit)} hours in a cycle"))
        ceiling = m.category_maximums.get(entry.category)
        if ceiling is not None:
            limit = Decimal(str(ceiling))
            limits.append((limit - used_category[entry.category],
                           f"{programme.category_name(entry.category)} counts for at most "
                           f"{format_hours(limit)} hours in a cycle"))
        room = min([entry.hours, *(max(ZERO, left) for left, _ in limits)])
        reasons = [reason for left, reason in limits
                   if room < entry.hours and max(ZERO, left) == room]
        used_type[(entry.activity_type, period)] += room
        used_category[entry.category] += room
        if programme.is_self_reported(entry.activity_type):
            used_self += room
        out.append(CountedEntry(entry, room, entry.hours - room, tuple(reasons), carried))
    return out


def _type_name(programme: Programme, key: str) -> str:
    kind = programme.activity_types.get(key)
    return kind.name if kind is not None else key


def _carry_out(programme: Programme, cycle: Cycle, counted: Sequence[CountedEntry],
               total: Decimal, next_start: dt.date) -> tuple[Entry, ...]:
    """Hours this cycle passes to the next: above the requirement, from its final months."""
    rule = programme.maintenance.carry_over
    limit = Decimal(str(rule.max_hours))
    if limit <= 0 or rule.from_final_months <= 0:
        return ()
    excess = total - Decimal(str(programme.maintenance.hours_per_cycle))
    left = min(limit, excess)
    if left <= 0:
        return ()
    final_from = add_months(cycle.end, -rule.from_final_months)
    out: list[Entry] = []
    for item in sorted(counted, key=lambda c: (c.entry.on, c.entry.key), reverse=True):
        if left <= 0:
            break
        if item.carried or item.counted <= 0 or not final_from <= item.entry.on < cycle.end:
            continue
        hours = min(left, item.counted)
        left -= hours
        out.append(Entry(f"carry:{item.entry.key}", next_start, hours, item.entry.category,
                         item.entry.activity_type, STATUS_APPROVED, item.entry.course))
    return tuple(out)


def _count(programme: Programme, holder: Holder, entries: Sequence[Entry], today: dt.date,
           index: int) -> Progress:
    m = programme.maintenance
    cycle = cycle_at(programme, holder.earned_on, index)
    start, until = _window(programme, holder, cycle, today)
    own = [e for e in entries if start <= e.on <= until]
    carried: tuple[Entry, ...] = ()
    if index > 0 and holder.renewal_of(index - 1) is not None:
        carried = _count(programme, holder, entries, today, index - 1).carry_out
    counted = _allocate(programme, cycle,
                        [(e, True) for e in carried]
                        + [(e, False) for e in own if e.status == STATUS_APPROVED])
    total = sum((c.counted for c in counted), ZERO)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    for item in counted:
        by_category[item.entry.category] += item.counted
    needs = tuple(CategoryNeed(key, programme.category_name(key), Decimal(str(hours)),
                               by_category.get(key, ZERO))
                  for key, hours in m.category_minimums.items())
    categories_missing = tuple(key for key in m.required_categories_each_cycle
                               if by_category.get(key, ZERO) <= 0)
    done = {c.entry.course for c in counted if c.entry.course and not c.carried}
    courses_missing = tuple(code for code in m.required_courses_each_cycle if code not in done)
    pending = sum((e.hours for e in own if e.status == STATUS_PENDING), ZERO)
    return Progress(cycle, start, until, Decimal(str(m.hours_per_cycle)), total,
                    dict(by_category), needs, categories_missing, courses_missing,
                    tuple(counted), sum((e.hours for e in carried), ZERO), pending,
                    _carry_out(programme, cycle, counted, total, cycle.end))


def progress(programme: Programme, holder: Holder, entries: Iterable[Entry], today: dt.date,
             cycle: int | None = None) -> Progress:
    """Progress in a cycle (default: the one the holder must meet now) as of today.

    Only entries dated in the cycle's counting window and on or before today count; pending
    entries are totalled apart. Hours carried over from the previous cycle (when it was
    renewed) count first.
    """
    index = obligation_index(programme, holder) if cycle is None else cycle
    return _count(programme, holder, list(entries), today, index)


def _and(items: Sequence[str]) -> str:
    """a; a and b; a, b and c."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def missing_text(programme: Programme, result: Progress, by: dt.date) -> str:
    """What is still missing, in plain words; "" when the cycle's requirements are met.

    "4 more hours, 2 of them Racial Equity, by 14 March 2027".
    """
    parts: list[str] = []
    need = result.missing_hours
    short = [n for n in result.needs if n.missing > 0]
    if need > 0:
        unit = "hour" if need == 1 else "hours"
        text = f"{format_hours(need)} more {unit}"
        if len(short) == 1 and short[0].missing == need:
            text += f" of {short[0].name}"
        elif short:
            text += ", " + _and([f"{format_hours(n.missing)} of them {n.name}"
                                 for n in short])
        parts.append(text)
    for key in result.categories_missing:
        if any(n.category == key for n in short):
            continue  # already named with its hours
        parts.append(f"an activity in {programme.category_name(key)}")
    for code in result.courses_missing:
        parts.append(f"the course {code}")
    if not parts:
        return ""
    listed = _and(parts)
    separator = ", by " if "," in listed else " by "
    return f"{listed}{separator}{format_date(by)}"


# --------------------------------------------------------------------------- status, renewal


@dataclass(frozen=True)
class HolderStatus:
    """Everything a holder's CE page and ``ce status`` show."""

    state: State
    cycle: Cycle
    progress: Progress
    deadline: dt.date
    missing: str          # plain words; "" when met (or expired: nothing left to earn)
    can_renew: bool

    def summary(self) -> dict[str, object]:
        """JSON-ready: what ``flask ce status`` prints."""
        result = self.progress
        return {
            "state": self.state.value,
            "cycle_start": self.cycle.start.isoformat(),
            "cycle_end": self.cycle.last_day.isoformat(),
            "deadline": self.deadline.isoformat(),
            "hours": {key: float(value) for key, value in sorted(result.by_category.items())},
            "total": float(result.total),
            "required": {
                "total": float(result.required),
                **{need.category: float(need.required) for need in result.needs},
            },
            "missing": self.missing,
            "met": result.met,
            "can_renew": self.can_renew,
        }


def status(programme: Programme, holder: Holder, entries: Iterable[Entry],
           today: dt.date) -> HolderStatus:
    state, cycle = holder_state(programme, holder, today)
    result = progress(programme, holder, entries, today, cycle.index)
    deadline = deadline_for(programme, state, cycle)
    check = _renewal_check(programme, holder, state, cycle, result, today)
    missing = missing_text(programme, result, deadline) if state is not State.EXPIRED else ""
    return HolderStatus(state, cycle, result, deadline, missing, check.eligible)


@dataclass(frozen=True)
class RenewalCheck:
    """Whether the holder may renew today, and what renewing would do."""

    eligible: bool
    reason: str
    cycle: Cycle
    next_cycle: Cycle | None
    reinstatement: bool          # after grace: a registrar must approve
    carry_over: Decimal
    renewal: Renewal | None      # the record to store when the holder renews


def _renewal_check(programme: Programme, holder: Holder, state: State, cycle: Cycle,
                   result: Progress, today: dt.date) -> RenewalCheck:
    carry = sum((e.hours for e in result.carry_out), ZERO)
    if state is State.EXPIRED:
        closed = format_date(deadline_for(programme, state, cycle))
        return RenewalCheck(False, f"the credential expired; the time to reinstate it ended on "
                                   f"{closed}, so it must be earned again", cycle, None, False,
                            ZERO, None)
    if today < cycle.start:
        return RenewalCheck(False, f"the next cycle starts on {format_date(cycle.start)}",
                            cycle, None, False, ZERO, None)
    deadline = deadline_for(programme, state, cycle)
    if not result.met:
        return RenewalCheck(False, "still missing: " + missing_text(programme, result, deadline),
                            cycle, None, state is State.REINSTATABLE, ZERO, None)
    reinstated = state is State.REINSTATABLE
    renewal = Renewal(cycle.index, today, reinstated)
    after = holder.renewed(renewal)
    next_cycle = cycle_at(programme, holder.earned_on, obligation_index(programme, after))
    reason = ("requirements met: a registrar must approve the reinstatement" if reinstated
              else "requirements met")
    return RenewalCheck(True, reason, cycle, next_cycle, reinstated, carry, renewal)


def renewal_check(programme: Programme, holder: Holder, entries: Iterable[Entry],
                  today: dt.date) -> RenewalCheck:
    """May the holder renew today? The next cycle always starts at the renewed cycle's end."""
    state, cycle = holder_state(programme, holder, today)
    result = progress(programme, holder, entries, today, cycle.index)
    return _renewal_check(programme, holder, state, cycle, result, today)


# --------------------------------------------------------------------------- reminders, sweep


@dataclass(frozen=True)
class ReminderDue:
    """A reminder ``days`` before the end of ``cycle``: send it, or record it as skipped."""

    cycle: int
    days: int
    deadline: dt.date
    send: bool
    missing: str

    @property
    def key(self) -> tuple[int, int]:
        return self.cycle, self.days


def due_reminders(programme: Programme, holder: Holder, entries: Iterable[Entry],
                  today: dt.date, sent: Collection[tuple[int, int]] = (),
                  ) -> tuple[ReminderDue, ...]:
    """Reminders due today and not yet recorded in ``sent`` ((cycle, days) pairs).

    Only for an active holder still short. When several are due (days were missed), only the
    nearest to the deadline is sent; the earlier ones come back with ``send=False`` so that
    the caller records them and never sends them late.
    """
    state, cycle = holder_state(programme, holder, today)
    if state is not State.ACTIVE or today < cycle.start:
        return ()
    due = sorted(days for days in set(programme.maintenance.reminder_days)
                 if cycle.end - dt.timedelta(days=days) <= today
                 and (cycle.index, days) not in sent)
    if not due:
        return ()
    result = progress(programme, holder, entries, today, cycle.index)
    if result.met:
        return ()
    missing = missing_text(programme, result, cycle.last_day)
    return tuple(ReminderDue(cycle.index, days, cycle.last_day, days == due[0], missing)
                 for days in due)


@dataclass(frozen=True)
class SweepRecord:
    """What the daily sweep keeps per holder between runs."""

    state: State
    cycle: int
    reminders: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class SweepResult:
    record: SweepRecord
    changed: tuple[State, State] | None    # (from, to) when the state moved
    reminders: tuple[ReminderDue, ...]     # to send (send=True) or record as skipped

    @property
    def to_send(self) -> tuple[ReminderDue, ...]:
        return tuple(r for r in self.reminders if r.send)


def sweep(programme: Programme, holder: Holder, entries: Iterable[Entry], today: dt.date,
          record: SweepRecord | None = None) -> SweepResult:
    """One holder's daily sweep: the state today and the reminders due. Idempotent: run again
    the same day with the returned record, it changes nothing and sends nothing."""
    entries = list(entries)
    state, cycle = holder_state(programme, holder, today)
    sent = record.reminders if record is not None else frozenset()
    reminders = due_reminders(programme, holder, entries, today, sent)
    new = SweepRecord(state, cycle.index, sent | {r.key for r in reminders})
    changed = None
    if record is not None and record.state is not state:
        changed = (record.state, state)
    return SweepResult(new, changed, reminders)


# --------------------------------------------------------------------------- audit


def drawn_for_audit(seed: str, renewal_key: str, rate: float) -> bool:
    """Whether a renewal is drawn for audit: reproducible from (seed, renewal), P = rate.

    A hash, not a random generator: the same renewal gives the same answer on any server, in
    any order, and a new seed (e.g. one per year, kept in configuration) gives a new draw.
    """
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(f"{seed}\x1f{renewal_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < int(rate * 2**64)
