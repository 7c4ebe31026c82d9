"""Our own rules (courses/program.yml): 30 h / 2 yr from the date earned, Racial Equity >= 2 and
in every cycle, volunteering and authorship <= 8 h a year, 6-month grace, then expired."""

from __future__ import annotations

from collections import Counter

import pytest

from lms.credits.rules import (
    Cycle,
    Holder,
    Renewal,
    State,
    SweepRecord,
    cycle_at,
    drawn_for_audit,
    holder_state,
    progress,
    status,
    sweep,
)
from tests.credits.shapes import d, entry, our_programme

P = our_programme()
HOLDER = Holder(d("2025-03-15"))


def test_the_rules_read_from_program_yml():
    m = P.maintenance
    assert (m.cycle.length_months, m.hours_per_cycle, m.grace_months) == (24, 30, 6)
    assert m.reminder_days == (90, 60, 30, 7)


def test_the_issue_example_in_plain_words():
    entries = [entry("2025-05-01", 20, "practice", course="JC-101"),
               entry("2026-02-01", 6, "climate-resilience")]
    result = status(P, HOLDER, entries, d("2026-12-01"))
    assert result.state is State.ACTIVE
    assert result.cycle == Cycle(0, d("2025-03-15"), d("2027-03-15"))
    assert result.missing == "4 more hours, 2 of them Racial Equity, by 14 March 2027"
    assert not result.can_renew
    done = entries + [entry("2026-12-01", 4, "racial-equity")]
    result = status(P, HOLDER, done, d("2026-12-01"))
    assert result.missing == "" and result.can_renew and result.progress.met


def test_required_category_needs_hours_in_every_cycle():
    renewed = HOLDER.renewed(Renewal(0, d("2027-01-01")))
    entries = [entry("2027-04-01", 30, "practice")]
    result = progress(P, renewed, entries, d("2028-01-01"))
    assert result.categories_missing == ("racial-equity",) and not result.met
    assert status(P, renewed, entries, d("2028-01-01")).missing == \
        "2 more hours of Racial Equity by 14 March 2029"


def test_volunteering_cap_per_cycle_year_from_a_leap_day():
    holder = Holder(d("2024-02-29"))
    entries = [entry("2024-02-29", 6, "racial-equity", "volunteering", key="a"),
               entry("2025-02-27", 4, "practice", "volunteering", key="b"),   # year 1: 2 over
               entry("2025-02-28", 8, "practice", "volunteering", key="c"),   # year 2 begins
               entry("2025-03-01", 1, "practice", "volunteering", key="d"),   # over in year 2
               entry("2025-03-01", 9, "practice", "authorship", key="e")]     # its own cap
    result = progress(P, holder, entries, d("2026-01-01"))
    counted = {c.entry.key: (c.counted, c.trimmed) for c in result.entries}
    assert counted == {"a": (6, 0), "b": (2, 2), "c": (8, 0), "d": (0, 1), "e": (8, 1)}
    reasons = {c.entry.key: c.reasons for c in result.entries}
    assert reasons["b"] == ("Volunteering on community projects counts for at most 8 hours in a "
                            "cycle year",)
    assert reasons["e"] == ("Authorship of papers, guides and toolkits counts for at most 8 "
                            "hours in a cycle year",)
    assert result.total == 24 and result.cycle.end == d("2026-02-28")


def test_course_completion_on_the_first_and_last_days():
    entries = [entry("2025-03-15", 28, "practice", course="JC-101"),
               entry("2027-03-14", 2, "racial-equity", course="JC-201"),
               entry("2027-03-15", 5, "racial-equity", course="JC-301")]
    assert progress(P, HOLDER, entries, d("2027-03-14")).met
    renewed = HOLDER.renewed(Renewal(0, d("2027-03-14")))
    assert progress(P, renewed, entries, d("2027-03-20")).total == 5


@pytest.mark.parametrize(("today", "expected"), [
    ("2027-03-14", State.ACTIVE), ("2027-03-15", State.GRACE), ("2027-09-14", State.GRACE),
    ("2027-09-15", State.REINSTATABLE), ("2028-09-14", State.REINSTATABLE),
    ("2028-09-15", State.EXPIRED)])
def test_states(today: str, expected: State):
    assert holder_state(P, HOLDER, d(today))[0] is expected


def test_earned_on_29_february_deadline():
    holder = Holder(d("2028-02-29"))
    assert cycle_at(P, holder.earned_on, 0).last_day == d("2030-02-27")
    assert status(P, holder, [], d("2028-03-01")).missing == \
        "30 more hours, 2 of them Racial Equity, by 27 February 2030"
    assert holder_state(P, holder, d("2030-08-27"))[0] is State.GRACE
    assert holder_state(P, holder, d("2030-08-28"))[0] is State.REINSTATABLE
    assert holder_state(P, holder, d("2031-08-28"))[0] is State.EXPIRED


def test_daily_sweep_sends_each_reminder_once_and_moves_to_grace():
    entries = [entry("2025-04-01", 10, "practice")]
    record: SweepRecord | None = None
    sent: list[tuple[int, int]] = []
    moves = []
    day = d("2025-03-15")
    while day <= d("2027-10-01"):
        result = sweep(P, HOLDER, entries, day, record)
        again = sweep(P, HOLDER, entries, day, result.record)        # idempotent
        assert again.reminders == () and again.changed is None and again.record == result.record
        sent += [r.key for r in result.to_send]
        if result.changed:
            moves.append((day, result.changed))
        record = result.record
        day = day.fromordinal(day.toordinal() + 1)
    assert Counter(sent) == {(0, 90): 1, (0, 60): 1, (0, 30): 1, (0, 7): 1}
    assert moves == [(d("2027-03-15"), (State.ACTIVE, State.GRACE)),
                     (d("2027-09-15"), (State.GRACE, State.REINSTATABLE))]


def test_audit_draw_is_seeded_and_reproducible():
    keys = [f"renewal-{n}" for n in range(20_000)]
    first = [drawn_for_audit("2026", key, P.maintenance.audit_rate) for key in keys]
    assert first == [drawn_for_audit("2026", key, 0.05) for key in keys]
    share = sum(first) / len(keys)
    assert 0.04 < share < 0.06
    other_seed = [drawn_for_audit("2027", key, 0.05) for key in keys]
    assert other_seed != first
    assert not any(drawn_for_audit("s", key, 0) for key in keys[:500])
    assert all(drawn_for_audit("s", key, 1) for key in keys[:500])


def test_grace_hours_share_the_last_cycle_years_cap():
    entries = [entry("2026-06-01", 8, "racial-equity", "volunteering", key="a"),
               entry("2027-04-01", 8, "practice", "volunteering", key="b")]   # in grace
    result = progress(P, HOLDER, entries, d("2027-05-01"))
    assert [(c.counted, c.trimmed) for c in result.entries] == [(8, 0), (0, 8)]


def test_status_summary_for_the_cli():
    entries = [entry("2025-05-01", 20, "practice"), entry("2025-06-01", 1, "racial-equity")]
    summary = status(P, HOLDER, entries, d("2026-01-01")).summary()
    assert summary == {
        "state": "active", "cycle_start": "2025-03-15", "cycle_end": "2027-03-14",
        "deadline": "2027-03-14", "hours": {"practice": 20.0, "racial-equity": 1.0},
        "total": 21.0, "required": {"total": 30.0, "racial-equity": 2.0},
        "missing": "9 more hours, 1 of them Racial Equity, by 14 March 2027", "met": False,
        "can_renew": False,
    }
    expired = status(P, HOLDER, entries, d("2028-09-15"))
    assert expired.state is State.EXPIRED and expired.missing == "" and not expired.can_renew
