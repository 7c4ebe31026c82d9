"""LEED-style rules: 30 h / 2 yr from the exam date, >= 6 specialty hours, 12-month grace, then
expired (retest)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.credits.rules import (
    Cycle,
    Holder,
    Renewal,
    State,
    add_months,
    cycle_at,
    cycle_containing,
    due_reminders,
    holder_state,
    progress,
    renewal_check,
    status,
)
from tests.credits.shapes import LEED, d, entry, programme

P = programme(LEED)
EXAM = d("2024-03-15")
HOLDER = Holder(EXAM)


def met_entries(year: int = 2024) -> list:
    return [entry(f"{year}-06-01", 24, "general"), entry(f"{year}-07-01", 6, "specialty")]


def test_cycles_roll_from_the_exam_date():
    assert cycle_at(P, EXAM, 0) == Cycle(0, d("2024-03-15"), d("2026-03-15"))
    assert cycle_at(P, EXAM, 0).last_day == d("2026-03-14")
    assert cycle_at(P, EXAM, 1) == Cycle(1, d("2026-03-15"), d("2028-03-15"))
    assert cycle_containing(P, EXAM, d("2026-03-14")).index == 0
    assert cycle_containing(P, EXAM, d("2026-03-15")).index == 1
    assert cycle_containing(P, EXAM, d("2031-01-01")).index == 3


def test_earned_on_29_february():
    leap = d("2024-02-29")
    assert cycle_at(P, leap, 0) == Cycle(0, leap, d("2026-02-28"))
    assert cycle_at(P, leap, 1) == Cycle(1, d("2026-02-28"), d("2028-02-29"))  # no drift
    assert cycle_at(P, leap, 2) == Cycle(2, d("2028-02-29"), d("2030-02-28"))
    holder = Holder(leap)
    result = status(P, holder, [entry("2024-02-29", 24, "general")], d("2025-01-01"))
    assert result.missing == "6 more hours of Specialty by 27 February 2026"
    # the leap day of 2028 opens cycle 2 for a holder who renewed twice
    renewed = Holder(leap, (Renewal(0, d("2026-01-01")), Renewal(1, d("2028-01-01"))))
    late = [entry("2028-02-28", 5, "specialty"), entry("2028-02-29", 7, "specialty")]
    now = progress(P, renewed, late, d("2028-03-01"))
    assert now.cycle.index == 2 and now.total == 7
    assert progress(P, renewed, late, d("2028-03-01"), cycle=1).total == 5


def test_add_months_clamps_month_ends():
    assert add_months(d("2024-01-31"), 1) == d("2024-02-29")
    assert add_months(d("2023-01-31"), 1) == d("2023-02-28")
    assert add_months(d("2024-02-29"), 12) == d("2025-02-28")
    assert add_months(d("2024-02-29"), 48) == d("2028-02-29")
    assert add_months(d("2024-03-31"), -1) == d("2024-02-29")
    assert add_months(d("2024-12-15"), 1) == d("2025-01-15")


def test_entries_on_the_boundaries():
    on_start = entry("2024-03-15", 10, "general")
    on_end = entry("2026-03-15", 10, "general")        # the next cycle's first day
    last_day = entry("2026-03-14", 10, "specialty")
    renewed = Holder(EXAM, (Renewal(0, d("2026-03-14")),))
    zero = progress(P, renewed, [on_start, on_end, last_day], d("2026-04-01"), cycle=0)
    assert [c.entry for c in zero.entries] == [on_start, last_day]
    one = progress(P, renewed, [on_start, on_end, last_day], d("2026-04-01"))
    assert one.cycle.index == 1 and [c.entry for c in one.entries] == [on_end]


def test_specialty_minimum():
    general_only = [entry("2024-06-01", 30, "general")]
    result = progress(P, HOLDER, general_only, d("2025-01-01"))
    assert result.total == 30 and not result.met and result.missing_hours == 6
    assert result.needs[0].missing == 6
    some = [entry("2024-06-01", 26, "general"), entry("2024-07-01", 2, "specialty")]
    result = status(P, HOLDER, some, d("2025-01-01"))
    assert result.progress.missing_hours == 4       # the 4 specialty hours cover the 2 total
    assert result.missing == "4 more hours of Specialty by 14 March 2026"
    short_both = [entry("2024-06-01", 10, "general"), entry("2024-07-01", 2, "specialty")]
    assert status(P, HOLDER, short_both, d("2025-01-01")).missing == \
        "18 more hours, 4 of them Specialty, by 14 March 2026"
    met = progress(P, HOLDER, met_entries(), d("2025-01-01"))
    assert met.met and met.total == 30 and met.by_category == {"general": 24, "specialty": 6}


def test_pending_and_future_entries_do_not_count():
    entries = [*met_entries(), entry("2024-08-01", 5, "general", status="pending"),
               entry("2025-06-01", 5, "general")]
    result = progress(P, HOLDER, entries, d("2025-01-01"))
    assert result.total == 30 and result.pending == 5


@pytest.mark.parametrize(("today", "expected"), [
    ("2024-03-15", State.ACTIVE),
    ("2026-03-14", State.ACTIVE),
    ("2026-03-15", State.GRACE),     # cycle ended unmet
    ("2027-03-14", State.GRACE),     # 12 months of grace
    ("2027-03-15", State.EXPIRED),   # then expired: reinstatement_months is 0
    ("2040-01-01", State.EXPIRED),
])
def test_states(today: str, expected: State):
    state, cycle = holder_state(P, HOLDER, d(today))
    assert state is expected and cycle.index == 0


def test_renew_in_grace_next_cycle_starts_at_the_old_end():
    late = [entry("2024-06-01", 24, "general"), entry("2026-06-01", 6, "specialty")]
    in_grace = d("2026-07-01")
    check = renewal_check(P, HOLDER, late, in_grace)
    assert check.eligible and not check.reinstatement
    assert check.renewal == Renewal(0, in_grace)
    assert check.next_cycle == Cycle(1, d("2026-03-15"), d("2028-03-15"))
    renewed = HOLDER.renewed(check.renewal)
    assert holder_state(P, renewed, in_grace) == (State.ACTIVE, check.next_cycle)
    # the grace-window hours went to the late cycle; the next one counts from the day after
    nxt = progress(P, renewed, late + [entry("2026-07-02", 3, "general")], d("2026-08-01"))
    assert nxt.counted_from == d("2026-07-02") and nxt.total == 3


def test_renewing_early_never_shortens_the_next_cycle():
    early = d("2024-08-01")
    check = renewal_check(P, HOLDER, met_entries(), early)
    assert check.eligible and check.next_cycle == Cycle(1, d("2026-03-15"), d("2028-03-15"))
    renewed = HOLDER.renewed(check.renewal)
    state, cycle = holder_state(P, renewed, d("2026-03-20"))
    assert state is State.ACTIVE and cycle.index == 1
    # before the next cycle starts there is nothing to renew
    again = renewal_check(P, renewed, met_entries(), d("2025-01-01"))
    assert not again.eligible and again.reason == "the next cycle starts on 15 March 2026"


def test_expired_cannot_renew():
    check = renewal_check(P, HOLDER, met_entries(), d("2027-03-15"))
    assert not check.eligible
    assert check.reason == ("the credential expired; the time to reinstate it ended on "
                            "14 March 2027, so it must be earned again")


def test_unmet_renewal_says_what_is_missing():
    check = renewal_check(P, HOLDER, [entry("2024-06-01", 20, "specialty")], d("2025-01-01"))
    assert not check.eligible
    assert check.reason == "still missing: 10 more hours by 14 March 2026"


def test_reminders_at_90_days():
    short = [entry("2024-06-01", 10, "general")]
    assert due_reminders(P, HOLDER, short, d("2025-12-14")) == ()
    due = due_reminders(P, HOLDER, short, d("2025-12-15"))      # 2026-03-15 - 90 days
    assert [(r.days, r.send) for r in due] == [(90, True)]
    assert due[0].deadline == d("2026-03-14")
    assert due[0].missing == "20 more hours, 6 of them Specialty, by 14 March 2026"
    assert due_reminders(P, HOLDER, short, d("2025-12-16"), sent={(0, 90)}) == ()
    assert due_reminders(P, HOLDER, met_entries(), d("2025-12-15")) == ()   # not short
    # several due at once (the sweep missed days): only the nearest is sent
    due = due_reminders(P, HOLDER, short, d("2026-03-10"), sent={(0, 90)})
    assert [(r.days, r.send) for r in due] == [(7, True), (30, False), (60, False)]
    assert due_reminders(P, HOLDER, short, d("2026-03-15")) == ()   # in grace: none


def test_entry_hours_are_exact_decimals():
    tenths = [entry("2024-06-01", "0.1", "specialty") for _ in range(60)]
    result = progress(P, HOLDER, tenths + [entry("2024-06-01", 24, "general")], d("2025-01-01"))
    assert result.total == Decimal("30.0") and result.met
